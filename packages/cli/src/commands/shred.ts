import type { Command } from "commander";
import type { CommandContext, CommandResult, CommandRunner } from "../context.js";
import { topologyFlags, type TopologyOptions } from "../flows/topology-options.js";
import { withNodeFlags } from "./node-flags.js";

export async function runShredCommand(context: CommandContext, options: TopologyOptions = {}): Promise<CommandResult> {
  const { shredPorts } = await import("../wiring/shred.js");
  const { runShred } = await import("../lifecycle/shred.js");
  const outcome = await runShred(await shredPorts(context, topologyFlags(options)));
  const { renderShred } = await import("../render/shred.js");
  return renderShred(outcome);
}

export function registerShred(program: Command, run: CommandRunner): void {
  withNodeFlags(program.command("shred"), {
    inventory:
      "the nodes enrolled with `node enroll` (default: the inventory the disconnect recorded); their identities are destroyed over it",
    select: false,
    writes: true,
  })
    .description(
      "after a disconnect: destroy the identities that open every sealed copy (appliance, backup escrow, enrolled nodes) and sign an attestation",
    )
    .addHelpText(
      "after",
      "\nCrypto-shredding: a sealed copy no audit can reach (tape, immutable storage, an off-site rsync) is\nunopenable once every recipient it was sealed to is destroyed. Each identity is overwritten, fsynced and\nunlinked, its directory fsynced; an enrolled node's identity is destroyed the same way on the node, over its\ntransport, only when its SHA-256 is the enrolled one (another file there is left alone and reported).\n<state-dir>/shred-attestation.json (+ .sig, the audit signing key) says which recipients were destroyed,\nwhere and when. Journaled: re-running finishes the job.\nA copy also sealed to a key kept elsewhere (an operator's backup key) stays readable: verify-cleanup\nnames that recipient. Runs only after a completed disconnect.\n\nExit: 0 every identity handled · 2 bad input or no completed disconnect · 3 a node could not be reached (re-run)\n\nExample:\n  connect-ops disconnect --yes && connect-ops shred --inventory nodes.json\n  connect-ops verify-cleanup --data-dir /data/ghe-backup --unreachable-copies offsite.txt",
    )
    .action((options: TopologyOptions) => run((context) => runShredCommand(context, options)));
}
