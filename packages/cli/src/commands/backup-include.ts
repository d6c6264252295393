import type { Command } from "commander";
import type { CommandContext, CommandResult, CommandRunner } from "../context.js";

export interface BackupIncludeOptions {
  readonly recipient: readonly string[];
  readonly recipientsFile?: string;
  readonly escrow?: string;
  readonly force?: boolean;
}

export async function runBackupIncludeCommand(
  context: CommandContext,
  snapshot: string,
  options: BackupIncludeOptions,
): Promise<CommandResult> {
  const { includePorts } = await import("../wiring/backup.js");
  const { includeIntoSnapshot } = await import("../lifecycle/backup-include.js");
  const ports = await includePorts(context, {
    recipient: options.recipient,
    recipientsFile: options.recipientsFile,
    escrow: options.escrow,
  });
  const outcome = await includeIntoSnapshot(ports, {
    snapshot: context.resolvePath(snapshot),
    force: options.force === true,
  });
  const { renderInclude } = await import("../render/backup-include.js");
  return renderInclude(outcome);
}

export const collect = (value: string, previous: string[]): string[] => [...previous, value];

export function registerBackupInclude(group: Command, run: CommandRunner): void {
  group
    .command("include")
    .description("seal the Connect credentials to backup keys and write them into a snapshot (github-connect/)")
    .argument("<snapshot>", "a snapshot dir (DATA_DIR/YYYYMMDDTHHMMSS) or DATA_DIR/current")
    .option("--recipient <age1…>", "backup recipient (repeatable); default: config backupRecipients", collect, [])
    .option("--recipients-file <file>", "file of backup recipients, one age1… per line")
    .option(
      "--escrow <file>",
      "also seal to the backup escrow (`backup escrow init`): its identity file or a file with its recipient",
    )
    .option("--force", "also write into an incomplete snapshot or while a backup runs")
    .addHelpText(
      "after",
      "\nThe credentials are sealed to the backup recipients, not to this appliance, so a restore onto\na new appliance opens them with the backup identity. Re-running changes nothing.\n\nExample:\n  connect-ops backup include /data/ghe-backup/current \\\n    --recipient age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p",
    )
    .action((snapshot: string, options: BackupIncludeOptions) =>
      run((context) => runBackupIncludeCommand(context, snapshot, options)),
    );
}
