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
import type { NodeState } from "./transport.js";

/** What the primary holds, to tell each node's drift. */
export interface ExpectedVault {
  readonly generation: number;
  readonly sealedSha256: string;
  readonly metaSha256: string;
}

/** `in-sync`: same bytes; `behind`/`ahead`: older/newer generation; `diverged`: same generation, other bytes. */
export type Drift = "in-sync" | "behind" | "ahead" | "diverged" | "missing" | "unknown";

export interface NodeProbe {
  readonly name: string;
  readonly role: NodeRole;
  /** The node's own age recipient, from the inventory. */
  readonly recipient?: string;
  readonly status: "ok" | "absent" | "failed" | "unreachable";
  readonly generation: number | null;
  readonly keyFingerprint: string | null;
  readonly tokenExpiresAt: string | null;
  readonly recipients: readonly string[];
  readonly sealedSha256: string | null;
  readonly metaSha256: string | null;
  /** meta.json parses and describes credentials.age: a complete pair. */
  readonly consistent: boolean;
  readonly tempFiles: number;
  readonly drift: Drift;
  readonly durationMs: number;
  /** Whether the login could write (or create) the target dir, tested without writing (`NodeState.writable`). */
  readonly writable?: boolean;
  /** SHA-256 of the node's identity file (`withIdentity`); null when it has none. */
  readonly identitySha256?: string | null;
  readonly error?: NodeError;
}

export interface ProbeOptions extends FanOutOptions {
  readonly ssh?: SshOptions;
  /** When given, each probe carries its drift against it. */
  readonly expected?: ExpectedVault;
  readonly openTransport?: TransportOpener;
  /** Also hash the node's identity file on the node, in the same connection (failover-check). */
  readonly withIdentity?: boolean;
}

export function driftOf(state: NodeState, expected: ExpectedVault | undefined): Drift {
  if (expected === undefined) return "unknown";
  if (state.meta === null) return "missing";
  if (state.meta.generation < expected.generation) return "behind";
  if (state.meta.generation > expected.generation) return "ahead";
  return state.sealedSha256 === expected.sealedSha256 && state.metaSha256 === expected.metaSha256
    ? "in-sync"
    : "diverged";
}

/** Reads every node's generation, key fingerprint and hashes without writing (status, failover-check). */
export async function probeNodes(nodes: readonly NodeSpec[], options: ProbeOptions = {}): Promise<NodeProbe[]> {
  const selected = selectNodes(nodes, options.nodes);
  const run = resolveRunOptions(options);
  const open = options.openTransport ?? (await createTransportOpener(selected, options.ssh));
  const settled = await mapWithConcurrency(
    selected,
    concurrencyFor(selected.length, options.concurrency),
    async (node) => {
      const started = run.clock.now();
      const base = {
        name: node.name,
        role: node.role,
        ...(node.recipient === undefined ? {} : { recipient: node.recipient }),
      };
      try {
        const { state, identitySha256 } = await runOnNode(node, open, run, async (transport, signal) => ({
          state: await transport.probe(signal),
          identitySha256: options.withIdentity === true ? await transport.identityDigest(signal) : undefined,
        }));
        const meta = state.meta;
        return {
          ...base,
          status: state.sealedSha256 === null && state.metaSha256 === null ? "absent" : "ok",
          generation: meta?.generation ?? null,
          keyFingerprint: meta?.keyFingerprint ?? null,
          tokenExpiresAt: meta?.tokenExpiresAt ?? null,
          recipients: meta?.recipients ?? [],
          sealedSha256: state.sealedSha256,
          metaSha256: state.metaSha256,
          consistent: meta !== null && meta.sealedSha256 === state.sealedSha256,
          tempFiles: state.tempFiles,
          drift: driftOf(state, options.expected),
          durationMs: run.clock.now() - started,
          ...(state.writable === undefined ? {} : { writable: state.writable }),
          ...(identitySha256 === undefined ? {} : { identitySha256 }),
        } satisfies NodeProbe;
      } catch (error) {
        return {
          ...base,
          status: isUnreachable(error) ? "unreachable" : "failed",
          generation: null,
          keyFingerprint: null,
          tokenExpiresAt: null,
          recipients: [],
          sealedSha256: null,
          metaSha256: null,
          consistent: false,
          tempFiles: 0,
          drift: "unknown",
          durationMs: run.clock.now() - started,
          error: describeNodeError(error),
        } satisfies NodeProbe;
      }
    },
  );
  return settled.map((entry) => {
    if (entry.status === "fulfilled") return entry.value;
    throw entry.reason;
  });
}
