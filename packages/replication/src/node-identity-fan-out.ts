import { mapWithConcurrency } from "./fan-out.js";
import type { NodeSpec } from "./inventory.js";
import {
  concurrencyFor,
  describeNodeError,
  resolveRunOptions,
  runOnNode,
  type FanOutOptions,
  type NodeError,
} from "./node-runner.js";
import type { RehearsalFiles } from "./node-identity.js";
import type { IdentityDestroyResult } from "./node-identity-destroy.js";
import { createTransportOpener, type SshOptions, type TransportOpener } from "./transport-opener.js";

export interface IdentityRunOptions extends FanOutOptions {
  readonly ssh?: SshOptions;
  readonly openTransport?: TransportOpener;
}

/**
 * Writes `identityFile` to `node` over its transport (atomic, 0600) and
 * returns the SHA-256 the node reads back. Retries transient failures; a
 * write repeated after a lost answer writes the same bytes again. Throws the
 * last `ReplicationError`.
 */
export async function writeNodeIdentity(
  node: NodeSpec,
  identityFile: Uint8Array,
  options: IdentityRunOptions = {},
): Promise<string> {
  const run = resolveRunOptions(options);
  const open = options.openTransport ?? (await createTransportOpener([node], options.ssh));
  return await runOnNode(node, open, run, (transport, signal) => transport.writeIdentity(identityFile, signal));
}

/** One node's rehearsal read: the files in memory, or why they could not be read. */
export type NodeRehearsalRead =
  { readonly name: string; readonly files: RehearsalFiles } | { readonly name: string; readonly error: NodeError };

/**
 * Reads every node's identity file and credentials.age into memory (for
 * `failover-check --rehearse`), bounded fan-out; writes nothing. Per-node
 * failures are results. The caller zeroes the buffers.
 */
export async function readNodesForRehearsal(
  nodes: readonly NodeSpec[],
  options: IdentityRunOptions = {},
): Promise<NodeRehearsalRead[]> {
  const run = resolveRunOptions(options);
  const open = options.openTransport ?? (await createTransportOpener(nodes, options.ssh));
  const settled = await mapWithConcurrency(nodes, concurrencyFor(nodes.length, options.concurrency), async (node) => {
    try {
      const files = await runOnNode(node, open, run, (transport, signal) => transport.readForRehearsal(signal));
      return { name: node.name, files };
    } catch (error) {
      return { name: node.name, error: describeNodeError(error) };
    }
  });
  return settled.map((entry) => {
    if (entry.status === "fulfilled") return entry.value;
    throw entry.reason;
  });
}

/**
 * The SHA-256 of `node`'s identity file, computed on the node, or null when
 * it has none. Retries transient failures; throws the last `ReplicationError`.
 */
export async function readNodeIdentityDigest(node: NodeSpec, options: IdentityRunOptions = {}): Promise<string | null> {
  const run = resolveRunOptions(options);
  const open = options.openTransport ?? (await createTransportOpener([node], options.ssh));
  return await runOnNode(node, open, run, (transport, signal) => transport.identityDigest(signal));
}

/**
 * Destroys `node`'s identity file over its transport when it is the recorded
 * one (`expectedSha256`, from the enrolled-nodes ledger): see
 * `NodeTransport.destroyIdentity`. Idempotent, so transient failures are
 * retried; throws the last `ReplicationError` (an unreachable node: exit 3).
 */
export async function destroyNodeIdentity(
  node: NodeSpec,
  expectedSha256: string,
  options: IdentityRunOptions = {},
): Promise<IdentityDestroyResult> {
  const run = resolveRunOptions(options);
  const open = options.openTransport ?? (await createTransportOpener([node], options.ssh));
  return await runOnNode(node, open, run, (transport, signal) => transport.destroyIdentity(expectedSha256, signal));
}
