import type { Command } from "commander";
import type { CommandContext, CommandResult, CommandRunner } from "../context.js";
import { EXIT } from "../exit-codes.js";
import { collect } from "./backup-include.js";

export interface BackupEscrowInitOptions {
  readonly out: string;
  readonly dataDir: readonly string[];
}

export async function runBackupEscrowInitCommand(
  context: CommandContext,
  options: BackupEscrowInitOptions,
): Promise<CommandResult> {
  const { initEscrow } = await import("../lifecycle/shred-escrow.js");
  const outcome = await initEscrow({
    out: context.resolvePath(options.out),
    stateDir: context.resolvePath(context.globals.stateDir),
    dataDirs: options.dataDir.map(context.resolvePath),
    now: context.io.now,
  });
  return {
    exitCode: EXIT.ok,
    json: outcome,
    human: [
      `Wrote the backup escrow identity to ${outcome.path} (0600)`,
      `  recipient ${outcome.recipient}`,
      `  seal snapshots to it: connect-ops backup include SNAPSHOT --escrow ${outcome.path}`,
      "  keep it on the backup host, outside every snapshot; `connect-ops shred` destroys it",
    ],
  };
}

export function registerBackupEscrow(group: Command, run: CommandRunner): void {
  const escrow = group
    .command("escrow")
    .description("the backup escrow identity: destroying it (shred) makes every snapshot copy sealed to it unopenable")
    .addHelpText(
      "after",
      "\nExample:\n  connect-ops backup escrow init --out /root/connect-escrow.txt --data-dir /data/ghe-backup",
    );
  escrow
    .command("init")
    .description("create a backup escrow identity (0600) on the backup host, outside the state dir and every data dir")
    .requiredOption(
      "--out <file>",
      "where to write the identity (must not exist; not inside a data dir or the state dir)",
    )
    .option("--data-dir <dir>", "a backup data dir the identity must stay out of (repeatable)", collect, [])
    .addHelpText(
      "after",
      "\nExample:\n  connect-ops backup escrow init --out /root/connect-escrow.txt --data-dir /data/ghe-backup\n  connect-ops backup include /data/ghe-backup/current --escrow /root/connect-escrow.txt",
    )
    .action((options: BackupEscrowInitOptions) => run((context) => runBackupEscrowInitCommand(context, options)));
}
