import type { Drift, NodeProbe, NodeRole, ReplicationLogger } from "@connect-ops/replication";
import { EXIT, type ExitCode } from "../exit-codes.js";
import type { Topology } from "../flows/inventory.js";
import { describeNodeFailure, isRefusal, type NodeErrorView } from "../flows/node-errors.js";

/** One node in `status --inventory`: what it holds and how it differs from this vault. */
export interface NodeStatus {
  readonly name: string;
  readonly role: NodeRole;
  readonly status: NodeProbe["status"];
  readonly generation: number | null;
  readonly keyFingerprint: string | null;
  readonly tokenExpiresAt: string | null;
  /** `in-sync`, `behind`, `ahead`, `diverged`, `missing`; `unknown` when the node could not be read or this vault is empty. */
  readonly drift: Drift;
  /** meta.json describes credentials.age on the node (a complete pair). */
  readonly consistent: boolean;
  readonly error?: NodeErrorView;
}

const DRIFTED: ReadonlySet<Drift> = new Set(["behind", "ahead", "diverged", "missing"]);

export function hasNodeDrift(nodes: readonly NodeStatus[]): boolean {
  return nodes.some((node) => DRIFTED.has(node.drift) || (node.status === "ok" && !node.consistent));
}

/**
 * Probes the nodes without writing. With `vaultDir` (the primary is
 * connected), each carries its drift against the primary's pair.
 */
export async function probeNodeStatus(
  topology: Topology,
  vaultDir: string | undefined,
  logger: ReplicationLogger,
): Promise<NodeStatus[]> {
  const { probeNodes, readVaultPayload } = await import("@connect-ops/replication");
  const payload = vaultDir === undefined ? undefined : await readVaultPayload(vaultDir);
  const probes = await probeNodes(topology.nodes, {
    ssh: topology.ssh,
    logger,
    ...(payload === undefined
      ? {}
      : {
          expected: {
            generation: payload.meta.generation,
            sealedSha256: payload.sealedSha256,
            metaSha256: payload.metaSha256,
          },
        }),
  });
  return probes.map((probe) => ({
    name: probe.name,
    role: probe.role,
    status: probe.status,
    generation: probe.generation,
    keyFingerprint: probe.keyFingerprint,
    tokenExpiresAt: probe.tokenExpiresAt,
    drift: probe.drift,
    consistent: probe.consistent,
    ...(probe.error === undefined ? {} : { error: describeNodeFailure(probe.error) }),
  }));
}

/**
 * Status exit code from the nodes alone: 1 when any node drifted (a finding
 * beats an incomplete look), else 2 when a host key or login was refused,
 * else 3 when a node could not be read, else 0.
 */
export function nodeStatusExitCode(nodes: readonly NodeStatus[]): ExitCode {
  if (hasNodeDrift(nodes)) return EXIT.problemFound;
  if (nodes.some((node) => isRefusal(node.error))) return EXIT.usage;
  if (nodes.some((node) => node.status === "failed" || node.status === "unreachable")) return EXIT.incomplete;
  return EXIT.ok;
}
