import type { FailoverCheck } from "@connect-ops/replication";
import type { CommandContext } from "../context.js";
import { usageError } from "../errors.js";
import { EXIT, type ExitCode } from "../exit-codes.js";
import { requireConnected } from "../wiring.js";
import { loadTopology, type TopologyFlags } from "./inventory.js";
import { describeNodeFailure, isRefusal, type NodeErrorView } from "./node-errors.js";

export interface FailoverRequest extends TopologyFlags {
  /** Only this replica (`--replica NAME`). */
  readonly replica?: string;
  /** The token on the replica must stay valid at least this long (`--min-ttl`). */
  readonly minTtlMs: number;
}

export interface ReplicaReport {
  readonly name: string;
  readonly ready: boolean;
  readonly checks: readonly FailoverCheck[];
  /** Why the replica could not be probed, with the next step. */
  readonly error?: NodeErrorView;
}

export interface FailoverReport {
  readonly ready: boolean;
  readonly source: string;
  readonly primaryGeneration: number;
  readonly minTtlMs: number;
  readonly replicas: readonly ReplicaReport[];
}

/**
 * Whether each HA replica of the topology could take over GitHub Connect now:
 * reachable, a complete pair, the primary's generation and App key, a token
 * valid beyond the margin, sealed to a recipient the replica can open.
 * Throws (exit 2) for bad flags, an inventory without replicas, an unknown
 * `--replica`, or a primary that is not connected.
 */
export async function checkFailover(context: CommandContext, request: FailoverRequest): Promise<FailoverReport> {
  if (request.replica !== undefined && !/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/.test(request.replica)) {
    throw usageError("--replica expects one node name (letters, digits, . _ -)", "pass the replica's name from the inventory");
  }
  const topology = await loadTopology(context, request);
  let replicas = topology.nodes.filter((node) => node.role === "replica");
  if (request.replica !== undefined) {
    const named = topology.all.find((node) => node.name === request.replica);
    if (named === undefined || named.role !== "replica") {
      const listed = topology.all.filter((node) => node.role === "replica").map((node) => node.name);
      throw usageError(
        named === undefined ? `--replica ${request.replica}: ${topology.source} lists no such node` : `--replica ${request.replica} has role ${named.role}, not replica`,
        listed.length > 0 ? `replicas in ${topology.source}: ${listed.join(", ")}` : `${topology.source} lists no replica`,
      );
    }
    replicas = [named];
  }
  if (replicas.length === 0) {
    throw usageError(`${topology.source} lists no node with role "replica": there is nothing that could take over`, 'add the HA replica with "role": "replica" and run again');
  }

  const { CredentialVault, STATE_FILES, ensureSafeDirectory } = await import("@connect-ops/credential-vault");
  const { assessFailoverReadiness, probeNodes } = await import("@connect-ops/replication");
  const { join } = await import("node:path");
  await ensureSafeDirectory(context.globals.stateDir);
  const vault = new CredentialVault(join(context.globals.stateDir, STATE_FILES.vault));
  const primary = requireConnected(await vault.readVerifiedMeta(), context.globals.stateDir);

  const probes = await probeNodes(replicas, { ssh: topology.ssh, logger: await context.logger() });
  const readiness = assessFailoverReadiness(primary, probes, { minTtlMs: request.minTtlMs, now: new Date(context.io.now()) });
  const byName = new Map(replicas.map((node) => [node.name, node]));
  return {
    ready: readiness.ready,
    source: topology.source,
    primaryGeneration: primary.generation,
    minTtlMs: request.minTtlMs,
    replicas: readiness.replicas.map((replica) => {
      const error = probes.find((probe) => probe.name === replica.name)?.error;
      return {
        ...replica,
        ...(error === undefined ? {} : { error: describeNodeFailure(error, byName.get(replica.name), topology.knownHostsFile) }),
      };
    }),
  };
}

/**
 * 0 ready; 1 not ready (a check failed, an unreachable replica included: it
 * cannot take over); 2 when a replica could not be evaluated because its host
 * key or our login was refused: a trust decision the operator must make first.
 */
export function failoverExitCode(report: FailoverReport): ExitCode {
  if (report.ready) return EXIT.ok;
  return report.replicas.some((replica) => isRefusal(replica.error)) ? EXIT.usage : EXIT.problemFound;
}
