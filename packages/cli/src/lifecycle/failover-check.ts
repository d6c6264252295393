import type {
  FailoverCheck,
  FailoverCheckName,
  NodeSpec,
  ReplicationLogger,
  SshOptions,
} from "@connect-ops/replication";
import { join } from "node:path";
import { EXIT, type ExitCode } from "../exit-codes.js";
import { describeNodeFailure, isRefusal, type NodeErrorView } from "../flows/node-errors.js";
import type { CloudClientFactory } from "./ports.js";
import { requireConnected } from "./require-connected.js";

export interface ReplicaReport {
  readonly name: string;
  readonly ready: boolean;
  readonly checks: readonly FailoverCheck[];
  /** Why the replica could not be probed, with the next step. */
  readonly error?: NodeErrorView;
  /** The command that fixes the first failed check, when one does (enroll, replicate). */
  readonly hint?: string;
}

export interface FailoverReport {
  readonly ready: boolean;
  readonly source: string;
  readonly primaryGeneration: number;
  readonly minTtlMs: number;
  readonly rehearsed: boolean;
  readonly replicas: readonly ReplicaReport[];
}

/** What the failover check reads: the primary's vault meta and the replicas' probes. */
export interface FailoverPorts {
  readonly stateDir: string;
  /** The replicas to check (already selected and validated). */
  readonly replicas: readonly NodeSpec[];
  /** The file the nodes came from, as the operator typed it (for messages). */
  readonly source: string;
  /** The flag that named it, for the commands in hints. */
  readonly sourceFlag: "--inventory" | "--cluster-conf";
  readonly ssh: SshOptions;
  /** The known_hosts file host keys are checked against (for hints on refused keys). */
  readonly knownHostsFile: string;
  readonly logger: ReplicationLogger;
  readonly now: () => number;
  /** The cloud, for `--rehearse` only. */
  readonly cloud: CloudClientFactory;
}

export interface FailoverRequest {
  /** The token on the replica must stay valid at least this long (`--min-ttl`). */
  readonly minTtlMs: number;
  /** Also open each replica's copy with its own identity and authenticate its key against the cloud. */
  readonly rehearse: boolean;
}

/**
 * Whether each HA replica could take over GitHub Connect now: reachable, a
 * complete pair, the primary's generation and App key, a token valid beyond
 * the margin, enrolled with its own identity, sealed to it, and holding the
 * identity file with the recorded SHA-256 (hashed on the node). With
 * `rehearse`, also proves the node's identity opens its copy and the key in it
 * authenticates (nothing is written). Throws (exit 2) for a primary that is
 * not connected.
 */
export async function checkFailover(ports: FailoverPorts, request: FailoverRequest): Promise<FailoverReport> {
  const { replicas } = ports;
  const { CredentialVault, STATE_FILES, ensureSafeDirectory, readEnrolledNodes } =
    await import("@connect-ops/credential-vault");
  const { assessFailoverReadiness, probeNodes } = await import("@connect-ops/replication");
  await ensureSafeDirectory(ports.stateDir);
  const vault = new CredentialVault(join(ports.stateDir, STATE_FILES.vault));
  const primary = requireConnected(await vault.readVerifiedMeta(), ports.stateDir);

  const enrolled = await readEnrolledNodes(ports.stateDir);
  const probes = await probeNodes(replicas, { ssh: ports.ssh, logger: ports.logger, withIdentity: true });
  const readiness = assessFailoverReadiness(primary, probes, {
    minTtlMs: request.minTtlMs,
    now: new Date(ports.now()),
    enrolled,
  });
  let rehearsals = new Map<string, FailoverCheck>();
  if (request.rehearse) {
    const { rehearseFailover } = await import("./failover-rehearsal.js");
    const reachable = new Set(readiness.replicas.filter((r) => r.checks[0]?.ok === true).map((r) => r.name));
    rehearsals = await rehearseFailover(
      ports,
      primary,
      replicas.filter((node) => reachable.has(node.name)),
    );
  }
  const replicasOut = readiness.replicas.map((replica) => {
    const rehearsal = rehearsals.get(replica.name);
    const checks = rehearsal === undefined ? replica.checks : [...replica.checks, rehearsal];
    return { name: replica.name, ready: checks.every((check) => check.ok), checks };
  });
  return {
    ready: replicasOut.length > 0 && replicasOut.every((replica) => replica.ready),
    source: ports.source,
    primaryGeneration: primary.generation,
    minTtlMs: request.minTtlMs,
    rehearsed: request.rehearse,
    replicas: replicasOut.map((replica) => {
      const error = probes.find((probe) => probe.name === replica.name)?.error;
      const hint = fixFor(replica.checks, replica.name, ports);
      return {
        ...replica,
        ...(error === undefined ? {} : { error: describeNodeFailure(error) }),
        ...(hint === undefined ? {} : { hint }),
      };
    }),
  };
}

/** The command that fixes the first failed check it can fix: enroll a node without (or with a lost) identity, replicate a stale copy. */
function fixFor(checks: readonly FailoverCheck[], name: string, ports: FailoverPorts): string | undefined {
  const failing = new Set(checks.filter((check) => !check.ok).map((check) => check.name));
  const enroll = `connect-ops node enroll ${ports.sourceFlag} ${ports.source} --node ${name}`;
  const replicate = `connect-ops replicate ${ports.sourceFlag} ${ports.source}`;
  if (failing.has("enrolled")) return `run \`${enroll}\`, then \`${replicate}\``;
  if (failing.has("identity") || failing.has("rehearsal"))
    return `enroll the node again: \`${enroll}\`, then \`${replicate}\``;
  if (failing.has("token-ttl")) return `run \`connect-ops token --force\`, then \`${replicate}\``;
  const stale: readonly FailoverCheckName[] = ["intact", "generation", "key-fingerprint", "recipients"];
  if (stale.some((check) => failing.has(check))) return `run \`${replicate}\``;
  return undefined;
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
