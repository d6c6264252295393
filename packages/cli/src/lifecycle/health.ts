import type { FailoverReport } from "./failover-check.js";
import type { StatusReport } from "./status.js";
import { humanDuration } from "../flows/human-units.js";

/** The four states of the monitoring-plugins convention (Nagios, Icinga, Sensu), worst last. */
export type HealthState = "OK" | "WARNING" | "CRITICAL" | "UNKNOWN";
const ORDER: readonly HealthState[] = ["OK", "WARNING", "CRITICAL", "UNKNOWN"];

export interface HealthProblem {
  readonly state: Exclude<HealthState, "OK">;
  readonly text: string;
}

/** What `check` and `metrics` read: status (with the cloud unless offline), and failover readiness when there are replicas. */
export interface HealthPorts {
  readonly status: () => Promise<StatusReport>;
  /** Absent when the topology has no replica (a standalone appliance, or no inventory given). */
  readonly failover?: () => Promise<FailoverReport>;
  readonly now: () => number;
}

export interface HealthRequest {
  /** Below this token lifetime the state is WARNING (`--warn-ttl`). */
  readonly warnTtlMs: number;
  /** Below this, CRITICAL (`--min-ttl`). */
  readonly critTtlMs: number;
}

export interface HealthReport {
  readonly state: HealthState;
  /** Worst first; empty when OK. */
  readonly problems: readonly HealthProblem[];
  readonly connected: boolean;
  readonly generation: number | null;
  readonly tokenTtlSeconds: number | null;
  readonly tokenExpiresAt: string | null;
  /** Nodes of the topology not holding this vault's generation (behind, ahead, diverged, missing, unreadable). */
  readonly nodesBehind: number | null;
  readonly nodes: readonly { readonly name: string; readonly generation: number | null }[];
  readonly replicasReady: number | null;
  readonly replicas: readonly { readonly name: string; readonly ready: boolean }[];
  readonly thresholds: { readonly warnTtlSeconds: number; readonly critTtlSeconds: number };
}

function worst(problems: readonly HealthProblem[]): HealthState {
  return problems.reduce<HealthState>(
    (state, problem) => (ORDER.indexOf(problem.state) > ORDER.indexOf(state) ? problem.state : state),
    "OK",
  );
}

/**
 * The health of Connect on this appliance, as monitoring wants it: one state
 * and the reasons. Every check that could not be made is UNKNOWN (never OK):
 * a cloud that does not answer, a state dir that cannot be read. Never throws.
 */
export async function assessHealth(ports: HealthPorts, request: HealthRequest): Promise<HealthReport> {
  const problems: HealthProblem[] = [];
  const thresholds = {
    warnTtlSeconds: Math.round(request.warnTtlMs / 1000),
    critTtlSeconds: Math.round(request.critTtlMs / 1000),
  };
  let status: StatusReport;
  try {
    status = await ports.status();
  } catch (error) {
    const text = `cannot read the state or reach the cloud: ${messageOf(error)}`;
    return { ...empty(thresholds), state: "UNKNOWN", problems: [{ state: "UNKNOWN", text }] };
  }
  const expiresAt = status.token.expiresAt;
  const ttl = expiresAt === null ? null : Math.round((Date.parse(expiresAt) - ports.now()) / 1000);
  if (!status.connected) problems.push({ state: "CRITICAL", text: "not connected: no credentials are sealed" });
  else if (ttl !== null) {
    const left = ttl <= 0 ? `expired ${humanDuration(-ttl)} ago` : `expires in ${humanDuration(ttl)}`;
    if (ttl < thresholds.critTtlSeconds)
      problems.push({ state: "CRITICAL", text: `token ${left} (is the token refresh running?)` });
    else if (ttl < thresholds.warnTtlSeconds) problems.push({ state: "WARNING", text: `token ${left}` });
  }
  for (const item of status.cloud.drift)
    problems.push({ state: "CRITICAL", text: `cloud ${item.field} differs: local ${item.local}, cloud ${item.cloud}` });

  const nodes = status.nodes ?? [];
  const behind = nodes.filter((node) => node.drift !== "in-sync");
  for (const node of behind) {
    const why = node.error === undefined ? node.drift : `${node.drift} (${node.error.code}: ${node.error.message})`;
    problems.push({ state: "WARNING", text: `node ${node.name} ${why}` });
  }

  let replicas: { name: string; ready: boolean }[] = [];
  if (status.connected && ports.failover !== undefined) {
    try {
      const report = await ports.failover();
      replicas = report.replicas.map((replica) => ({ name: replica.name, ready: replica.ready }));
      for (const replica of report.replicas.filter((candidate) => !candidate.ready)) {
        const failed = replica.checks.find((check) => !check.ok);
        const why = replica.error?.message ?? failed?.detail ?? "a check failed";
        problems.push({ state: "CRITICAL", text: `replica ${replica.name} not ready for failover: ${why}` });
      }
    } catch (error) {
      problems.push({ state: "UNKNOWN", text: `failover readiness not checked: ${messageOf(error)}` });
    }
  }
  problems.sort((a, b) => ORDER.indexOf(b.state) - ORDER.indexOf(a.state));
  return {
    state: worst(problems),
    problems,
    connected: status.connected,
    generation: status.vault.generation,
    tokenTtlSeconds: ttl,
    tokenExpiresAt: expiresAt,
    nodesBehind: status.nodes === undefined ? null : behind.length,
    nodes: nodes.map((node) => ({ name: node.name, generation: node.generation })),
    replicasReady: ports.failover === undefined ? null : replicas.filter((replica) => replica.ready).length,
    replicas,
    thresholds,
  };
}

function empty(thresholds: HealthReport["thresholds"]): Omit<HealthReport, "state" | "problems"> {
  return {
    connected: false,
    generation: null,
    tokenTtlSeconds: null,
    tokenExpiresAt: null,
    nodesBehind: null,
    nodes: [],
    replicasReady: null,
    replicas: [],
    thresholds,
  };
}

function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message.split("\n")[0] ?? error.message;
  return String(error);
}
