import { ReplicationError } from "./errors.js";
import { mapWithConcurrency } from "./fan-out.js";
import { selectNodes, type NodeRole, type NodeSpec } from "./inventory.js";
import {
  concurrencyFor,
  describeNodeError,
  isUnreachable,
  resolveRunOptions,
  runOnNode,
  type FanOutOptions,
  type NodeError,
} from "./node-runner.js";
import { createTransportOpener, type SshOptions, type TransportOpener } from "./transport-opener.js";

export type DeleteStatus = "deleted" | "absent" | "failed" | "unreachable";

export interface NodeDeleteResult {
  readonly name: string;
  readonly role: NodeRole;
  readonly status: DeleteStatus;
  /** Files removed: credentials.age, meta.json and leftover temps. */
  readonly removed: number;
  readonly durationMs: number;
  readonly error?: NodeError;
}

export interface DeleteOptions extends FanOutOptions {
  readonly ssh?: SshOptions;
  readonly onNodeResult?: (result: NodeDeleteResult) => void;
  readonly openTransport?: TransportOpener;
}

/**
 * Removes the credential files from every node and verifies they are gone
 * (`deleted`; `absent` when there was nothing). Same fan-out, timeouts and
 * retries as `replicateToNodes`; per-node failures are results.
 */
export async function deleteFromNodes(
  nodes: readonly NodeSpec[],
  options: DeleteOptions = {},
): Promise<NodeDeleteResult[]> {
  const selected = selectNodes(nodes, options.nodes);
  const run = resolveRunOptions(options);
  const open = options.openTransport ?? (await createTransportOpener(selected, options.ssh));
  const settled = await mapWithConcurrency(
    selected,
    concurrencyFor(selected.length, options.concurrency),
    async (node) => {
      const started = run.clock.now();
      let result: NodeDeleteResult;
      try {
        const removal = await runOnNode(node, open, run, (transport, signal) => transport.remove(signal));
        if (removal.remaining > 0) {
          throw new ReplicationError(
            "REPL_REMOTE_WRITE_FAILED",
            `${removal.remaining} credential file(s) are still on node ${node.name} after the delete`,
            {
              category: "incomplete",
              hint: "check the directory's permissions and for immutable files on the node, then run again",
              context: { node: node.name, path: node.path },
            },
          );
        }
        result = {
          name: node.name,
          role: node.role,
          status: removal.removed > 0 ? "deleted" : "absent",
          removed: removal.removed,
          durationMs: run.clock.now() - started,
        };
      } catch (error) {
        result = {
          name: node.name,
          role: node.role,
          status: isUnreachable(error) ? "unreachable" : "failed",
          removed: 0,
          durationMs: run.clock.now() - started,
          error: describeNodeError(error),
        };
      }
      options.onNodeResult?.(result);
      return result;
    },
  );
  return settled.map((entry) => {
    if (entry.status === "fulfilled") return entry.value;
    throw entry.reason;
  });
}
