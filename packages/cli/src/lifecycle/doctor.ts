import type { NodeProbe } from "@connect-ops/replication";
import { cloudRows, type DoctorCloudPorts } from "./doctor-cloud.js";
import { localRows, type DoctorLocalPorts } from "./doctor-local.js";
import { nodeRows } from "./doctor-nodes.js";

// `connect-ops doctor`: a read-only preflight. Each check is a small port-taking function that returns rows;
// a row passes only after a positive check, fails with what to do, or is skipped with the reason. Nothing here
// writes: no lock, no journal, no known_hosts entry, no file on a node.

export type DoctorStatus = "pass" | "fail" | "skip";

export interface DoctorRow {
  /** A stable id per kind of check (`node-version`, `state-dir`, `ssh-login`, …). */
  readonly check: string;
  /** What was checked: a path, a URL, a node's name. */
  readonly target: string;
  readonly status: DoctorStatus;
  readonly detail: string;
  /** What to do, on a failure (and on a skip that the operator can lift). */
  readonly hint?: string;
}

export interface DoctorReport {
  readonly ok: boolean;
  readonly rows: readonly DoctorRow[];
  readonly summary: { readonly pass: number; readonly fail: number; readonly skip: number };
}

export interface DoctorPorts {
  readonly local: DoctorLocalPorts;
  readonly cloud: DoctorCloudPorts;
  /** The nodes of `--inventory`/`--cluster-conf`, probed read-only; absent without one. */
  readonly nodes?: { readonly probe: () => Promise<readonly NodeProbe[]>; readonly local: ReadonlySet<string> };
}

export function row(check: string, target: string, status: DoctorStatus, detail: string, hint?: string): DoctorRow {
  return { check, target, status, detail, ...(hint === undefined ? {} : { hint }) };
}

/** The message and hint of an error thrown by a check, as a failing row. */
export function failedRow(check: string, target: string, error: unknown, fallbackHint: string): DoctorRow {
  const message = error instanceof Error ? error.message : String(error);
  const hint = (error as { hint?: unknown }).hint;
  return row(check, target, "fail", message, typeof hint === "string" && hint !== "" ? hint : fallbackHint);
}

export async function runDoctor(ports: DoctorPorts): Promise<DoctorReport> {
  const local = await localRows(ports.local);
  const cloud = await cloudRows(ports.cloud, local.meta);
  const nodes = ports.nodes === undefined ? [] : nodeRows(await ports.nodes.probe(), ports.nodes.local);
  const rows = [...local.rows, ...cloud, ...nodes];
  const count = (status: DoctorStatus) => rows.filter((entry) => entry.status === status).length;
  return { ok: count("fail") === 0, rows, summary: { pass: count("pass"), fail: count("fail"), skip: count("skip") } };
}
