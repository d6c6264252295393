import type { Command } from "commander";
import { Option } from "commander";
import type { CommandContext, CommandResult, CommandRunner } from "../context.js";
import { EXIT } from "../exit-codes.js";
import { collect } from "./backup-include.js";
import type { HookEntry, HookRun } from "../lifecycle/backup-hook.js";
import { describeRedaction } from "./backup-redact.js";

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

/** One line per snapshot the hook looked at. */
function describeEntry<Detail>(entry: HookEntry<Detail>, describe: (detail: Detail) => string[]): string[] {
  if (entry.outcome === "already-processed") return [`${entry.id}: already processed (${entry.processedAt})`];
  if (entry.outcome === "skipped-incomplete")
    return [`${entry.id}: skipped, incomplete (a failed backup; --force processes it)`];
  return [
    `${entry.id}:${entry.complete ? "" : " NOT COMPLETE, re-run"}`,
    ...describe(entry.detail).map((line) => `  ${line}`),
  ];
}

function hookResult<Detail>(
  policy: "include" | "redact",
  run: HookRun<Detail>,
  exitCode: CommandResult["exitCode"],
  describe: (detail: Detail) => string[],
): CommandResult {
  const processed = run.snapshots.filter((entry) => entry.outcome === "processed");
  return {
    exitCode,
    success: "backup-hook",
    json: { policy, dataDir: run.dataDir, current: run.current, snapshots: run.snapshots },
    human: [
      `policy ${policy}: ${processed.length} snapshot(s) processed, ${run.snapshots.length - processed.length} not (already processed or incomplete) in ${run.dataDir}`,
      ...run.snapshots.flatMap((entry) => describeEntry(entry, describe)),
    ],
  };
}

/**
 * The post-backup step for cron, over every snapshot of the data dir not processed yet (a
 * marker per snapshot, lifecycle/backup-hook.ts). Exit codes a runbook can act on: 0 applied;
 * 2 refused (incomplete `current`, a backup still running, no `current`, bad input: nothing
 * was changed); 3 partially applied (a file could not be rewritten or checked: re-run); 70 a bug.
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
  const { runHookOverSnapshots } = await import("../lifecycle/backup-hook.js");
  const { crashHook } = await import("../wiring/appliance.js");
  const crash = await crashHook(context);
  if (policy === "include") {
    const { includePorts } = await import("../wiring/backup.js");
    const { includeIntoSnapshot } = await import("../lifecycle/backup-include.js");
    const ports = await includePorts(context, {
      recipient: options.recipient,
      recipientsFile: options.recipientsFile,
      escrow: options.escrow,
    });
    const meta = await ports.appliance.vault.readMeta();
    const run = await runHookOverSnapshots(
      {
        policy,
        ...(meta === undefined ? {} : { generation: meta.generation }),
        crash,
        now: context.io.now,
        process: async (snapshot) => {
          const outcome = await includeIntoSnapshot(ports, { snapshot: snapshot.path, force: true });
          return { complete: true, generation: outcome.manifest.generation, detail: outcome };
        },
      },
      { dataDir, force },
    );
    return hookResult(policy, run, EXIT.ok, (outcome) => [
      `${outcome.changed ? "included the sealed credentials" : "already included"} (generation ${outcome.manifest.generation})`,
    ]);
  }
  const { redactPorts } = await import("../wiring/backup.js");
  const { redactBackupSnapshot, redactionComplete } = await import("../lifecycle/backup-redact.js");
  const ports = redactPorts(context, options.fingerprints);
  const run = await runHookOverSnapshots(
    {
      policy,
      crash,
      now: context.io.now,
      process: async (snapshot) => {
        const report = await redactBackupSnapshot(ports, { snapshot: snapshot.path, dryRun: false, force: true });
        return { complete: redactionComplete(report), detail: report };
      },
    },
    { dataDir, force },
  );
  const incomplete = run.snapshots.some((entry) => entry.outcome === "processed" && !entry.complete);
  return hookResult(policy, run, incomplete ? EXIT.incomplete : EXIT.ok, describeRedaction);
}

export function registerBackupHook(group: Command, run: CommandRunner): void {
  group
    .command("hook")
    .description(
      "post-backup step for cron: apply the include or redact policy to every snapshot of the data dir not processed yet",
    )
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
