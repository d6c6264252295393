import type { FailoverCheck, NodeSpec, ReplicationLogger, SshOptions } from "@connect-ops/replication";
import { join } from "node:path";
import { EXIT, type ExitCode } from "../exit-codes.js";
import { describeNodeFailure, isRefusal, type NodeErrorView } from "../flows/node-errors.js";
import { requireConnected } from "./require-connected.js";

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

/** What the failover check reads: the primary's vault meta and the replicas' probes. */
export interface FailoverPorts {
  readonly stateDir: string;
  /** The replicas to check (already selected and validated). */
  readonly replicas: readonly NodeSpec[];
  /** The file the nodes came from, as the operator typed it (for messages). */
  readonly source: string;
  readonly ssh: SshOptions;
  /** The known_hosts file host keys are checked against (for hints on refused keys). */
  readonly knownHostsFile: string;
  readonly logger: ReplicationLogger;
  readonly now: () => number;
}

export interface FailoverRequest {
  /** The token on the replica must stay valid at least this long (`--min-ttl`). */
  readonly minTtlMs: number;
}

/**
 * Whether each HA replica could take over GitHub Connect now: reachable, a
 * complete pair, the primary's generation and App key, a token valid beyond
 * the margin, sealed to a recipient the replica can open. Throws (exit 2) for
 * a primary that is not connected.
 */
export async function checkFailover(ports: FailoverPorts, request: FailoverRequest): Promise<FailoverReport> {
  const { replicas } = ports;
  const { CredentialVault, STATE_FILES, ensureSafeDirectory } = await import("@connect-ops/credential-vault");
  const { assessFailoverReadiness, probeNodes } = await import("@connect-ops/replication");
  await ensureSafeDirectory(ports.stateDir);
  const vault = new CredentialVault(join(ports.stateDir, STATE_FILES.vault));
  const primary = requireConnected(await vault.readVerifiedMeta(), ports.stateDir);

  const probes = await probeNodes(replicas, { ssh: ports.ssh, logger: ports.logger });
  const readiness = assessFailoverReadiness(primary, probes, {
    minTtlMs: request.minTtlMs,
    now: new Date(ports.now()),
  });
  const byName = new Map(replicas.map((node) => [node.name, node]));
  return {
    ready: readiness.ready,
    source: ports.source,
    primaryGeneration: primary.generation,
    minTtlMs: request.minTtlMs,
    replicas: readiness.replicas.map((replica) => {
      const error = probes.find((probe) => probe.name === replica.name)?.error;
      return {
        ...replica,
        ...(error === undefined
          ? {}
          : { error: describeNodeFailure(error, byName.get(replica.name), ports.knownHostsFile) }),
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
