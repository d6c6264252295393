import type { CommandContext } from "../context.js";
import { usageError } from "../errors.js";
import type { TopologyFlags } from "../flows/inventory.js";
import type { FailoverPorts } from "../lifecycle/failover-check.js";
import type { EnrollPorts, EnrollRequest } from "../lifecycle/node-enroll.js";
import type { ReplicatePorts } from "../lifecycle/replicate.js";
import type { StatusPorts } from "../lifecycle/status.js";
import { cloudAdminToken, cloudFactory, crashHook, openAppliance } from "./appliance.js";
import { loadTopology } from "./topology.js";

// Composition root (see appliance.ts): the commands that reach the nodes (failover-check, status, replicate).

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

/** status's production ports. Bad topology flags or files fail here, before the cloud or any node is contacted. */
export async function statusPorts(
  context: CommandContext,
  topologyFlags: TopologyFlags | undefined,
): Promise<StatusPorts> {
  const topology = topologyFlags === undefined ? undefined : await loadTopology(context, topologyFlags);
  return {
    stateDir: context.globals.stateDir,
    cloud: cloudFactory(context),
    hasAdminToken: cloudAdminToken(context) !== undefined,
    identities: async () => (await openAppliance(context)).state.identities,
    ...(topology === undefined ? {} : { topology: { nodes: topology, logger: () => context.logger() } }),
  };
}

/** replicate's production ports. Flags are validated (the topology loaded) before the vault or any node is touched. */
export async function replicatePorts(
  context: CommandContext,
  flags: TopologyFlags,
  progress: Pick<ReplicatePorts, "onStart" | "onNodeResult">,
): Promise<ReplicatePorts> {
  const topology = await loadTopology(context, flags);
  return {
    stateDir: context.globals.stateDir,
    topology,
    logger: await context.logger(),
    now: context.io.now,
    sealToEnrolled: async () => {
      const { readEnrolledNodes, resealToRecipients } = await import("@connect-ops/credential-vault");
      if ((await readEnrolledNodes(context.globals.stateDir)).length === 0) return;
      const appliance = await openAppliance(context);
      const meta = await appliance.vault.readMeta();
      if (meta === undefined || appliance.recipients.every((recipient) => meta.recipients.includes(recipient))) return;
      await resealToRecipients(appliance.vault, appliance.state.identities, appliance.recipients);
    },
    ...progress,
  };
}
