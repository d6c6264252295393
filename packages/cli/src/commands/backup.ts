import type { Command } from "commander";
import type { CommandRunner } from "../context.js";
import { registerBackupEscrow } from "./backup-escrow.js";
import { registerBackupHook } from "./backup-hook.js";
import { registerBackupInclude } from "./backup-include.js";
import { registerBackupRedact } from "./backup-redact.js";
import { registerBackupRestore } from "./backup-restore.js";
import { registerBackupScan } from "./backup-scan.js";

/** `connect-ops backup …`: GitHub Connect credentials in backup-utils / backup-service snapshots (docs/runbooks/backup-and-restore.md). */
export function registerBackup(program: Command, run: CommandRunner): void {
  const group = program
    .command("backup")
    .description("include, scan for, redact and restore the Connect credentials in backup snapshots")
    .addHelpText(
      "after",
      "\nRunbook: docs/runbooks/backup-and-restore.md\n\nExample (cron, after backup-utils):\n  ghe-backup && connect-ops backup hook --data-dir /data/ghe-backup --policy redact",
    );
  registerBackupInclude(group, run);
  registerBackupScan(group, run);
  registerBackupRedact(group, run);
  registerBackupHook(group, run);
  registerBackupRestore(group, run);
  registerBackupEscrow(group, run);
}
