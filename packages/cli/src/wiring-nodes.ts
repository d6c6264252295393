import type { CommandContext } from "./context.js";
import { usageError } from "./errors.js";
import { loadTopology, type TopologyFlags } from "./flows/inventory.js";
import type { FailoverPorts } from "./lifecycle/failover-check.js";
import type { EnrollPorts, EnrollRequest } from "./lifecycle/node-enroll.js";
import { cloudFactory, crashHook, openAppliance } from "./wiring.js";

/**
 * The composition root's part for commands about the nodes themselves
 * (failover-check, node enroll): kept beside wiring.ts so that file stays
 * under the size cap. Same rule: the one place that builds their ports.
 */

const NODE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

function checkNodeName(value: string, flag: string): void {
  if (!NODE_NAME.test(value)) {
    throw usageError(
      `${flag} expects one node name (letters, digits, . _ -)`,
      "pass the node's name from the inventory",
    );
  }
}

/** node enroll's production ports: the named node (checked against the file first), the state dir, the vault. */
export async function enrollPorts(
  context: CommandContext,
  flags: TopologyFlags & { node: string },
): Promise<{ ports: EnrollPorts; request: EnrollRequest; source: string }> {
  checkNodeName(flags.node, "--node");
  const topology = await loadTopology(context, flags);
  const node = topology.all.find((entry) => entry.name === flags.node);
  if (node === undefined) {
    throw usageError(
      `--node ${flags.node}: ${topology.source} lists no such node`,
      `nodes in ${topology.source}: ${topology.all.map((entry) => entry.name).join(", ")}`,
    );
  }
  const appliance = await openAppliance(context);
  return {
    ports: {
      appliance: {
        stateDir: appliance.state.stateDir,
        vault: appliance.vault,
        identities: appliance.state.identities,
        recipients: appliance.recipients,
        journalDir: appliance.journalDir,
      },
      enrolled: appliance.state.enrolledNodes,
      ssh: topology.ssh,
      logger: await context.logger(),
      now: context.io.now,
      crash: await crashHook(context),
    },
    request: { node },
    source: topology.source,
  };
}

/**
 * failover-check's production ports: the replicas the flags select, validated
 * first (exit 2 for a bad or unknown `--replica`, or an inventory without replicas).
 */
export async function failoverPorts(
  context: CommandContext,
  flags: TopologyFlags & { replica?: string },
): Promise<FailoverPorts> {
  if (flags.replica !== undefined) checkNodeName(flags.replica, "--replica");
  const topology = await loadTopology(context, flags);
  let replicas = topology.nodes.filter((node) => node.role === "replica");
  if (flags.replica !== undefined) {
    const named = topology.all.find((node) => node.name === flags.replica);
    if (named === undefined || named.role !== "replica") {
      const listed = topology.all.filter((node) => node.role === "replica").map((node) => node.name);
      throw usageError(
        named === undefined
          ? `--replica ${flags.replica}: ${topology.source} lists no such node`
          : `--replica ${flags.replica} has role ${named.role}, not replica`,
        listed.length > 0
          ? `replicas in ${topology.source}: ${listed.join(", ")}`
          : `${topology.source} lists no replica`,
      );
    }
    replicas = [named];
  }
  if (replicas.length === 0) {
    throw usageError(
      `${topology.source} lists no node with role "replica": there is nothing that could take over`,
      'add the HA replica with "role": "replica" and run again',
    );
  }
  return {
    stateDir: context.globals.stateDir,
    replicas,
    source: topology.source,
    sourceFlag: flags.inventory === undefined ? "--cluster-conf" : "--inventory",
    ssh: topology.ssh,
    knownHostsFile: topology.knownHostsFile,
    logger: await context.logger(),
    now: context.io.now,
    cloud: cloudFactory(context),
  };
}
