import { selectNodes, type NodeRole, type NodeSpec } from "./inventory.js";
import { mapWithConcurrency } from "./fan-out.js";
import {
  concurrencyFor,
  describeNodeError,
  isUnreachable,
  resolveRunOptions,
  runOnNode,
  type FanOutOptions,
  type NodeError,
} from "./node-runner.js";
import type { ReplicationPayload } from "./payload.js";
import { pushToNode } from "./push-to-node.js";
import { createTransportOpener, type SshOptions, type TransportOpener } from "./transport-opener.js";

export type ReplicateStatus = "updated" | "unchanged" | "stale" | "failed" | "unreachable";

/** One node's outcome; `error` only for `failed`/`unreachable`. */
export interface NodeResult {
  readonly name: string;
  readonly role: NodeRole;
  readonly status: ReplicateStatus;
  readonly generationBefore: number | null;
  readonly generationAfter: number | null;
  readonly durationMs: number;
  readonly error?: NodeError;
}

export interface ReplicateOptions extends FanOutOptions {
  readonly ssh?: SshOptions;
  /** Called as each node finishes (live progress); must not throw. */
  readonly onNodeResult?: (result: NodeResult) => void;
  /** Replaces the production transports (tests, demo). */
  readonly openTransport?: TransportOpener;
}

/**
 * Pushes `payload` to every node (or `options.nodes`), at most `concurrency`
 * at once, and returns one result per node in inventory order. Nodes already
 * holding this generation and bytes report `unchanged` without a write, so a
 * re-run after a partial failure touches only nodes not yet converged.
 * Throws only for bad input before any node is contacted
 * (`REPL_UNKNOWN_NODE`, `REPL_IDENTITY_UNREADABLE`, `REPL_KNOWN_HOSTS_INVALID`);
 * per-node failures are results, never exceptions.
 */
export async function replicateToNodes(
  nodes: readonly NodeSpec[],
  payload: ReplicationPayload,
  options: ReplicateOptions = {},
): Promise<NodeResult[]> {
  const selected = selectNodes(nodes, options.nodes);
  const run = resolveRunOptions(options);
  const open = options.openTransport ?? (await createTransportOpener(selected, options.ssh));
  const settled = await mapWithConcurrency(
    selected,
    concurrencyFor(selected.length, options.concurrency),
    async (node) => {
      const started = run.clock.now();
      const logger = run.logger.child({ node: node.name });
      let result: NodeResult;
      try {
        const outcome = await runOnNode(node, open, run, (transport, signal) =>
          pushToNode(transport, payload, node.name, signal),
        );
        result = { name: node.name, role: node.role, ...outcome, durationMs: run.clock.now() - started };
        logger.info({ status: result.status, generation: result.generationAfter }, "node replicated");
      } catch (error) {
        result = {
          name: node.name,
          role: node.role,
          status: isUnreachable(error) ? "unreachable" : "failed",
          generationBefore: null,
          generationAfter: null,
          durationMs: run.clock.now() - started,
          error: describeNodeError(error),
        };
        // The result reports every node; at the default level the log would say it a second time.
        logger.info({ status: result.status, code: result.error?.code }, "node not replicated");
      }
      options.onNodeResult?.(result);
      return result;
    },
  );
  return settled.map((entry) => {
    if (entry.status === "fulfilled") return entry.value;
    throw entry.reason; // unreachable: the worker above catches everything
  });
}

/** True when every result converged (`updated` or `unchanged`); the CLI's exit 0 vs 3. */
export function allConverged(results: readonly NodeResult[]): boolean {
  return results.every((result) => result.status === "updated" || result.status === "unchanged");
}
