import type { RedactionReport } from "@connect-ops/backup-hooks";
import type { Command } from "commander";
import type { CommandContext, CommandResult, CommandRunner } from "../context.js";
import { EXIT } from "../exit-codes.js";
import { describeGap } from "./backup-scan.js";

export interface BackupRedactOptions {
  readonly dryRun?: boolean;
  readonly force?: boolean;
  readonly fingerprints?: string;
}

/** Human lines for a redaction report: what changed where (by fingerprint id), what failed, what was not checked. */
export function describeRedaction(report: RedactionReport): string[] {
  const verb = report.dryRun ? "Would redact" : "Redacted";
  const nothing = report.changes.length === 0 && report.removed.length === 0;
  return [
    nothing
      ? `Nothing to redact in ${report.snapshot}`
      : `${verb} ${report.snapshot}: ${report.changes.length} span(s) in ${new Set(report.changes.map((change) => change.path)).size} file(s) overwritten with X, same length`,
    ...report.changes.map(
      (change) =>
        `  ${change.member === undefined ? change.path : `${change.path}!${change.member}`} @${change.offset}+${change.length}  ${change.form} (${change.encoding})  ${change.fingerprintId}`,
    ),
    ...report.removed.map((path) => `  removed ${path}`),
    ...report.failed.map((failure) => `  FAILED ${failure.path}: ${failure.reason} (its residue remains)`),
    ...(report.gaps.length > 0
      ? [`  ${report.gaps.length} place(s) could not be checked:`, ...report.gaps.map(describeGap)]
      : []),
    ...(report.dryRun || nothing
      ? []
      : [
          "  files were rewritten as new files: snapshots sharing them by hard link keep their bytes; report in github-connect/redaction.json",
        ]),
  ];
}

/** 0 done; 3 when a file could not be rewritten or part of the snapshot could not be checked (re-run after fixing). */
export function redactionExitCode(report: RedactionReport): typeof EXIT.ok | typeof EXIT.incomplete {
  return report.failed.length === 0 && report.gaps.length === 0 ? EXIT.ok : EXIT.incomplete;
}

export async function runBackupRedactCommand(
  context: CommandContext,
  snapshot: string,
  options: BackupRedactOptions,
): Promise<CommandResult> {
  const { redactPorts } = await import("../wiring/backup.js");
  const { redactBackupSnapshot } = await import("../lifecycle/backup-redact.js");
  const report = await redactBackupSnapshot(redactPorts(context, options.fingerprints), {
    snapshot: context.resolvePath(snapshot),
    dryRun: options.dryRun === true,
    force: options.force === true,
  });
  return { exitCode: redactionExitCode(report), json: report, human: describeRedaction(report) };
}

export function registerBackupRedact(group: Command, run: CommandRunner): void {
  group
    .command("redact")
    .description(
      "remove the Connect credentials from a snapshot, keeping it restorable (hard-linked siblings are not touched)",
    )
    .argument("<snapshot>", "a snapshot dir (DATA_DIR/YYYYMMDDTHHMMSS) or DATA_DIR/current")
    .option("--dry-run", "report what would change; write nothing")
    .option("--force", "also redact an incomplete snapshot or while a backup runs")
    .option("--fingerprints <file>", "fingerprints to look for when this state dir has none")
    .addHelpText(
      "after",
      "\nRemoves github-connect/ and overwrites every finding with X (same length) in plain files, tar\nmembers and gzip streams; exits 3 if some file could not be rewritten or checked.\n\nExample:\n  connect-ops backup redact /data/ghe-backup/20240611T020000 --dry-run\n  connect-ops backup redact /data/ghe-backup/20240611T020000",
    )
    .action((snapshot: string, options: BackupRedactOptions) =>
      run((context) => runBackupRedactCommand(context, snapshot, options)),
    );
}
