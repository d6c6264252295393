import type { Command } from "commander";
import { Option } from "commander";
import { join } from "node:path";
import type { CommandContext, CommandResult, CommandRunner } from "../context.js";
import { EXIT } from "../exit-codes.js";
import { collect } from "./backup-include.js";
import { describeRedaction, redactionExitCode } from "./backup-redact.js";

export interface BackupHookOptions {
  readonly dataDir?: string;
  readonly backupConfig?: string;
  readonly policy?: "include" | "redact";
  readonly force?: boolean;
  readonly recipient: readonly string[];
  readonly recipientsFile?: string;
  readonly escrow?: string;
  readonly fingerprints?: string;
}

/**
 * The post-backup step for cron. Exit codes a runbook can act on: 0 applied;
 * 2 refused (incomplete `current`, a backup still running, no `current`, bad
 * input: nothing was changed); 3 partially applied (a file could not be
 * rewritten or checked: re-run); 70 a bug.
 */
export async function runBackupHookCommand(
  context: CommandContext,
  options: BackupHookOptions,
): Promise<CommandResult> {
  const policy = options.policy ?? "redact";
  const force = options.force === true;
  const { listSnapshots } = await import("@connect-ops/backup-hooks");
  const { resolveBackupSettings } = await import("../flows/backup-config.js");
  const { dataDir } = await resolveBackupSettings(options, context.io.env, context.resolvePath);
  // Fails with BACKUP_NOT_FOUND (exit 2) before anything else when the data dir is wrong.
  await listSnapshots(dataDir);
  if (policy === "include") {
    const { includePorts } = await import("../wiring/backup.js");
    const { includeIntoSnapshot } = await import("../lifecycle/backup-include.js");
    const ports = await includePorts(context, {
      recipient: options.recipient,
      recipientsFile: options.recipientsFile,
      escrow: options.escrow,
    });
    const outcome = await includeIntoSnapshot(ports, {
      snapshot: join(dataDir, "current"),
      force,
    });
    return {
      exitCode: EXIT.ok,
      success: "backup-hook",
      json: { policy, ...outcome },
      human: [
        `policy include: ${outcome.changed ? "included the sealed credentials in" : "already included in"} ${outcome.snapshot} (generation ${outcome.manifest.generation})`,
      ],
    };
  }
  const { redactPorts } = await import("../wiring/backup.js");
  const { redactCurrent } = await import("../lifecycle/backup-redact.js");
  const report = await redactCurrent(redactPorts(context, options.fingerprints), {
    dataDir,
    force,
  });
  return {
    exitCode: redactionExitCode(report),
    success: "backup-hook",
    json: { policy, redaction: report },
    human: [`policy redact:`, ...describeRedaction(report)],
  };
}

export function registerBackupHook(group: Command, run: CommandRunner): void {
  group
    .command("hook")
    .description("post-backup step for cron: apply the include or redact policy to the data dir's current snapshot")
    .option("--data-dir <dir>", "GHE_DATA_DIR of backup-utils, or /data/backup/data for the backup service")
    .option(
      "--backup-config <file>",
      "read GHE_DATA_DIR from backup-utils' backup.config (default without --data-dir: where backup-utils looks)",
    )
    .addOption(
      new Option(
        "--policy <policy>",
        "include: seal the credentials into the snapshot; redact: remove every trace (default)",
      ).choices(["include", "redact"]),
    )
    .option("--force", "process an incomplete snapshot or while a backup runs (not for cron)")
    .option(
      "--recipient <age1…>",
      "include: backup recipient (repeatable); default: config backupRecipients",
      collect,
      [],
    )
    .option("--recipients-file <file>", "include: file of backup recipients, one age1… per line")
    .option("--escrow <file>", "include: also seal to the backup escrow (its identity file or recipient file)")
    .option("--fingerprints <file>", "redact: fingerprints to look for when this state dir has none")
    .addHelpText(
      "after",
      "\nExit codes: 0 applied · 2 refused, nothing changed (current is incomplete, a backup is running,\nno current, bad input) · 3 partially applied (a file could not be rewritten or checked; re-run).\n\nExample (crontab of the backup user):\n  0 2 * * * ghe-backup && connect-ops backup hook --data-dir /data/ghe-backup --policy redact",
    )
    .action((options: BackupHookOptions) => run((context) => runBackupHookCommand(context, options)));
}
