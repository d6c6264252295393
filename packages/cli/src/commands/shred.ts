import type { Command } from "commander";
import type { CommandContext, CommandResult, CommandRunner } from "../context.js";

export async function runShredCommand(context: CommandContext): Promise<CommandResult> {
  const { shredPorts } = await import("../wiring/shred.js");
  const { runShred } = await import("../lifecycle/shred.js");
  const outcome = await runShred(await shredPorts(context));
  const { renderShred } = await import("../render/shred.js");
  return renderShred(outcome);
}

export function registerShred(program: Command, run: CommandRunner): void {
  program
    .command("shred")
    .description(
      "after a disconnect: destroy the identities that open every sealed copy (appliance, backup escrow) and sign an attestation",
    )
    .addHelpText(
      "after",
      "\nCrypto-shredding: a sealed copy no audit can reach (tape, immutable storage, an off-site rsync) is\nunopenable once every recipient it was sealed to is destroyed. Each identity is overwritten, fsynced and\nunlinked, its directory fsynced; <state-dir>/shred-attestation.json (+ .sig, the audit signing key) says\nwhich recipients were destroyed, where and when. Journaled: re-running finishes the job.\nA copy also sealed to a key kept elsewhere (an operator's backup key) stays readable: verify-cleanup\nnames that recipient. Runs only after a completed disconnect.\n\nExample:\n  connect-ops disconnect --yes && connect-ops shred\n  connect-ops verify-cleanup --data-dir /data/ghe-backup --unreachable-copies offsite.txt",
    )
    .action(() => run((context) => runShredCommand(context)));
}
