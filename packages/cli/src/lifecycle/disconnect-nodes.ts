import type { FanOutOptions, NodeSpec, SshOptions } from "@connect-ops/replication";
import type { NodeStep } from "./disconnect-journal.js";

/** A journal entry for a node not seen before: pending until the node confirms. */
export function pendingNode(node: NodeSpec): NodeStep {
  return {
    name: node.name,
    role: node.role,
    transport: node.transport,
    host: node.host,
    port: node.port,
    user: node.user,
    path: node.path,
    status: "pending",
    attempts: 0,
  };
}

/** Adds inventory nodes the journal does not know yet; keeps every recorded node (never forgets one). */
export function mergeNodes(recorded: readonly NodeStep[], inventory: readonly NodeSpec[]): NodeStep[] {
  const known = new Set(recorded.map((node) => node.name));
  const specs = new Map(inventory.map((node) => [node.name, node]));
  // A node recorded before the journal kept port and user gets them from the inventory that lists it.
  const completed = recorded.map((node) => {
    const spec = specs.get(node.name);
    return spec === undefined || node.port !== undefined ? node : { ...node, port: spec.port, user: spec.user };
  });
  return [...completed, ...inventory.filter((node) => !known.has(node.name)).map(pendingNode)];
}

export interface NodeDeletePorts {
  readonly ssh: SshOptions;
  /** The inventory's specs (port, user) for the pending nodes; a recorded node missing from it stays pending. */
  readonly specs: readonly NodeSpec[];
  readonly now: () => number;
  /** Retries, timeouts and the clock of the fan-out (production: the replication defaults). */
  readonly fanOut?: FanOutOptions;
}

/**
 * Step 4: deletes the credential files on every pending node and verifies
 * they are gone. `deleted`/`absent` are done (a node that never had the files
 * is `absent`, not an error); `failed`/`unreachable` stay pending with the
 * error, for the next run. Nodes already done are not contacted again.
 */
export async function deleteOnPendingNodes(nodes: readonly NodeStep[], ports: NodeDeletePorts): Promise<NodeStep[]> {
  const pending = nodes.filter((node) => node.status === "pending");
  const specs = new Map(ports.specs.map((spec) => [spec.name, spec]));
  const reachable = pending.map((node) => specs.get(node.name)).filter((spec): spec is NodeSpec => spec !== undefined);
  if (reachable.length === 0)
    return nodes.map((node) =>
      node.status === "pending" && !specs.has(node.name) ? missingFromInventory(node) : node,
    );
  const { deleteFromNodes } = await import("@connect-ops/replication");
  const results = new Map(
    (await deleteFromNodes(reachable, { ...ports.fanOut, ssh: ports.ssh })).map((result) => [result.name, result]),
  );
  const at = new Date(ports.now()).toISOString();
  return nodes.map((node) => {
    if (node.status !== "pending") return node;
    const result = results.get(node.name);
    if (result === undefined) return missingFromInventory(node);
    if (result.status === "deleted" || result.status === "absent") {
      const { lastError: _dropped, ...rest } = node;
      return { ...rest, status: result.status, attempts: node.attempts + 1, completedAt: at };
    }
    return {
      ...node,
      attempts: node.attempts + 1,
      lastError: result.error ?? { code: result.status, message: `node ${node.name} is ${result.status}` },
    };
  });
}

function missingFromInventory(node: NodeStep): NodeStep {
  return {
    ...node,
    lastError: {
      code: "CLI_NODE_NOT_IN_INVENTORY",
      message: `node ${node.name} was recorded by an earlier run but is not in this inventory; pass the inventory that lists it`,
    },
  };
}
