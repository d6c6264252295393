import type { Command } from "commander";
import type { CommandContext, CommandResult, CommandRunner } from "../context.js";
import { EXIT } from "../exit-codes.js";

export interface BackupRestoreOptions {
  readonly identity: string;
  readonly hostname?: string;
  readonly keepConnect?: boolean;
  readonly force?: boolean;
}

export async function runBackupRestoreCommand(
  context: CommandContext,
  snapshot: string,
  options: BackupRestoreOptions,
): Promise<CommandResult> {
  const { restorePorts } = await import("../wiring/backup.js");
  const { restoreFromSnapshot } = await import("../lifecycle/restore.js");
  const outcome = await restoreFromSnapshot(await restorePorts(context), {
    snapshot: context.resolvePath(snapshot),
    identityFile: context.resolvePath(options.identity),
    hostname: options.hostname,
    keepConnect: options.keepConnect === true,
    force: options.force === true,
  });
  const from = `${outcome.appSlug} (app ${outcome.appId}) from ${outcome.snapshot}`;
  switch (outcome.outcome) {
    case "reset":
      return {
        exitCode: EXIT.ok,
        json: outcome,
        human: [
          `Connect reset: this appliance (${outcome.targetHostname}) is not the one in the snapshot (${outcome.snapshotHostname}); the credentials were not restored`,
          "  as ghe-restore does, a restore onto another appliance does not take over the old one's Connect identity",
          "  next: connect-ops connect (a new connection for this appliance), or --keep-connect if this appliance replaces the old one",
        ],
      };
    case "refused":
      return { exitCode: EXIT.problemFound, json: outcome, human: [`Refused to restore ${from}: ${outcome.message}`] };
    case "restored":
      if (outcome.keptConnect) {
        context.io.stderr.write(
          `warning: --keep-connect: ${outcome.targetHostname} now uses the Connect identity of ${outcome.snapshotHostname}; if both appliances run, they share one GitHub App and connection record on the cloud. Retire ${outcome.snapshotHostname} without running disconnect there (that would delete the app for both).\n`,
        );
      }
      return {
        exitCode: EXIT.ok,
        json: outcome,
        human: [
          `Restored ${from} into the vault (generation ${outcome.generation})`,
          `  the cloud still holds the app, record ${outcome.recordId ?? "?"} and installation ${outcome.installationId}; a new token was minted (expires ${outcome.tokenExpiresAt})`,
          "  next: connect-ops status, then connect-ops replicate --inventory FILE",
        ],
      };
  }
}

export function registerBackupRestore(group: Command, run: CommandRunner): void {
  group
    .command("restore")
    .description(
      "restore the Connect credentials of a snapshot into this appliance's vault, after checking them on the cloud",
    )
    .argument("<snapshot>", "a snapshot dir (DATA_DIR/YYYYMMDDTHHMMSS) or DATA_DIR/current")
    .requiredOption(
      "--identity <file>",
      "the backup identity file (age-keygen format) that opens github-connect/credentials.age",
    )
    .option("--hostname <host>", "this appliance's hostname (default: the vault's record, else the OS hostname)")
    .option(
      "--keep-connect",
      "take over the snapshot's Connect identity even on a different appliance (ghe-restore -c)",
    )
    .option("--force", "replace a vault holding another app; restore from an incomplete snapshot")
    .addHelpText(
      "after",
      "\nRefuses (exit 1) when the app, record or installation no longer exists on the cloud.\nOn a different appliance Connect is reset (nothing restored) unless --keep-connect.\n\nExample (replacement appliance taking over ghes.example.com):\n  connect-ops --state-dir /data/user/connect-ops init\n  connect-ops backup restore /data/ghe-backup/current --identity /root/backup-identity.txt --hostname ghes.example.com",
    )
    .action((snapshot: string, options: BackupRestoreOptions) =>
      run((context) => runBackupRestoreCommand(context, snapshot, options)),
    );
}
