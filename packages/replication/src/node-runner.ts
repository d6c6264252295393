import { systemClock, withRetries, type Clock, type RetryPolicy } from "@connect-ops/connection-core";
import { isTransientReplicationError, ReplicationError } from "./errors.js";
import type { NodeSpec } from "./inventory.js";
import { silentLogger, type ReplicationLogger } from "./logger.js";
import type { SshOptions, TransportOpener } from "./transport-opener.js";
import type { NodeTransport } from "./transport.js";
import { withDeadline } from "./with-deadline.js";

/** Options shared by replicate, delete and probe fan-outs. */
export interface FanOutOptions {
  /** Nodes in flight at once: default all of them, at most 16. */
  readonly concurrency?: number;
  /** Bound on TCP connect + SSH handshake + auth per attempt (default 10 s). */
  readonly connectTimeoutMs?: number;
  /** Bound on the node's steps once connected, per attempt (default 30 s). */
  readonly operationTimeoutMs?: number;
  /** Extra attempts for transient failures: refused/reset connections, timeouts (default 2). */
  readonly retries?: number;
  /** Backoff base (default 250 ms), doubled per attempt, capped at 5 s, fully jittered. */
  readonly retryBaseDelayMs?: number;
  /** Only these node names (`--nodes a,b`); unknown names throw `REPL_UNKNOWN_NODE`. */
  readonly nodes?: readonly string[];
  readonly logger?: ReplicationLogger;
  readonly clock?: Clock;
  readonly random?: () => number;
}

export const MAX_CONCURRENCY = 16;

export interface ResolvedRunOptions {
  readonly connectTimeoutMs: number;
  readonly operationTimeoutMs: number;
  readonly policy: RetryPolicy;
  readonly clock: Clock;
  readonly random: () => number;
  readonly logger: ReplicationLogger;
}

export function resolveRunOptions(options: FanOutOptions & { readonly ssh?: SshOptions }): ResolvedRunOptions {
  return {
    connectTimeoutMs: options.connectTimeoutMs ?? options.ssh?.connectTimeoutMs ?? 10_000,
    operationTimeoutMs: options.operationTimeoutMs ?? 30_000,
    policy: {
      attempts: (options.retries ?? 2) + 1,
      baseDelayMs: options.retryBaseDelayMs ?? 250,
      maxDelayMs: 5_000,
      jitter: "full",
      retryOn: isTransientReplicationError,
    },
    clock: options.clock ?? systemClock,
    random: options.random ?? Math.random,
    logger: options.logger ?? silentLogger,
  };
}

export function concurrencyFor(nodeCount: number, requested: number | undefined): number {
  return Math.max(1, Math.min(requested ?? nodeCount, MAX_CONCURRENCY, Math.max(nodeCount, 1)));
}

const timeoutError = (node: NodeSpec, phase: "connect" | "operation", ms: number): ReplicationError =>
  new ReplicationError(
    "REPL_TIMEOUT",
    phase === "connect"
      ? `node ${node.name} (${node.host}:${node.port}) did not accept the connection within ${ms} ms`
      : `node ${node.name} stopped answering: its steps did not finish within ${ms} ms`,
    {
      category: "incomplete",
      hint: "check that the node is running and not frozen; re-run to retry only the nodes not converged",
      context: { node: node.name, host: node.host, port: node.port, phase },
    },
  );

/**
 * Connects to `node` and runs `action` on its transport, each under its own
 * deadline, retrying transient failures with jittered backoff. The transport
 * is always disposed. Throws the last `ReplicationError`.
 */
export function runOnNode<Result>(
  node: NodeSpec,
  open: TransportOpener,
  run: ResolvedRunOptions,
  action: (transport: NodeTransport, signal: AbortSignal) => Promise<Result>,
): Promise<Result> {
  const logger = run.logger.child({ node: node.name });
  return withRetries(
    async (attempt) => {
      if (attempt > 0) logger.info({ attempt }, "retrying node");
      const transport = await withDeadline(
        (signal) => open(node, run.connectTimeoutMs, signal),
        run.connectTimeoutMs,
        run.clock,
        () => timeoutError(node, "connect", run.connectTimeoutMs),
      );
      try {
        return await withDeadline(
          (signal) => action(transport, signal),
          run.operationTimeoutMs,
          run.clock,
          () => timeoutError(node, "operation", run.operationTimeoutMs),
        );
      } finally {
        // Closing the connection cannot change what the node holds; its failure is logged, never thrown over the step's outcome.
        await Promise.resolve(transport[Symbol.asyncDispose]()).catch((error: unknown) => {
          logger.warn({ code: describeNodeError(error).code }, "closing the node connection failed");
        });
      }
    },
    run.policy,
    { sleep: (ms, signal) => run.clock.sleep(ms, signal), random: run.random },
  );
}

/** What a per-node result carries: the library's code, message, hint and non-secret context, so callers render hints without a table of their own. */
export interface NodeError {
  readonly code: string;
  readonly message: string;
  readonly hint?: string;
  readonly context?: Readonly<Record<string, string | number | boolean | undefined>>;
}

/** The `NodeError` of a failure; non-typed errors keep their code (or `REPL_INTERNAL`) and message, without a hint. */
export function describeNodeError(error: unknown): NodeError {
  if (error instanceof ReplicationError) {
    return {
      code: error.code,
      message: error.message,
      ...(error.hint === undefined ? {} : { hint: error.hint }),
      ...(Object.keys(error.context).length === 0 ? {} : { context: error.context }),
    };
  }
  if (error instanceof Error && "code" in error && typeof error.code === "string")
    return { code: error.code, message: error.message };
  return { code: "REPL_INTERNAL", message: error instanceof Error ? error.message : String(error) };
}

/** `unreachable` when the node could not be reached or answered nothing in time; `failed` otherwise. */
export function isUnreachable(error: unknown): boolean {
  return isTransientReplicationError(error);
}
