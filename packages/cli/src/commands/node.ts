import { topologyFlags } from "../flows/topology-options.js";
import type { Command } from "commander";
import type { CommandContext, CommandResult, CommandRunner } from "../context.js";
import { withNodeFlags } from "./node-flags.js";

/** The flags of `node enroll` as commander names them. */
export interface NodeEnrollOptions {
  readonly inventory?: string;
  readonly clusterConf?: string;
  readonly node: string;
  readonly identityFile?: string;
  readonly knownHosts?: string;
  readonly acceptNewHostKeys?: boolean;
}

export async function runNodeEnrollCommand(
  context: CommandContext,
  options: NodeEnrollOptions,
): Promise<CommandResult> {
  const { enrollPorts } = await import("../wiring/nodes.js");
  const { enrollNode } = await import("../lifecycle/node-enroll.js");
  const { ports, request, source } = await enrollPorts(context, {
    node: options.node,
    ...topologyFlags(options),
  });
  const outcome = await enrollNode(ports, request);
  const { runNodeEnrollOutput } = await import("../render/node-enroll.js");
  return runNodeEnrollOutput(outcome, options.inventory === undefined ? "--cluster-conf" : "--inventory", source);
}

/** `connect-ops node …`: the nodes' own identities (docs/replication.md). */
export function registerNode(program: Command, run: CommandRunner): void {
  const group = program
    .command("node")
    .description("give HA replicas and cluster nodes their own age identity")
    .addHelpText("after", "\nExample:\n  connect-ops node enroll --inventory inventory.json --node ghes-replica");
  withNodeFlags(group.command("enroll"), {
    inventory: "inventory JSON listing the nodes (see docs/replication.md)",
    select: false,
    writes: true,
  })
    .description(
      "make an age identity for a node on the primary, write it to the node (0600), and seal every copy to its recipient",
    )
    .requiredOption("--node <name>", "the node to enroll, by its name in the inventory")
    .addHelpText(
      "after",
      [
        "",
        "The identity is made in memory and written only to the node; the state dir keeps its recipient and the",
        "SHA-256 of the node's identity file. A re-run after a crash finishes the job; a node that already holds",
        "its enrolled identity is not written again.",
        "",
        "Exit: 0 enrolled · 2 bad input, the primary named, or a host key/login refused · 3 the node could not be reached (re-run)",
        "",
        "Example (then push the copy sealed to it and check):",
        "  connect-ops node enroll --inventory /data/user/common/connect-ops/inventory.json --node ghes-replica",
        "  connect-ops replicate --inventory /data/user/common/connect-ops/inventory.json",
      ].join("\n"),
    )
    .action((options: NodeEnrollOptions) => run((context) => runNodeEnrollCommand(context, options)));
}
