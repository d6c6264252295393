import type { NodeSpec } from "@connect-ops/replication";
import type { AuditGap, AuditTopology } from "../flows/audit-report.js";
import type { DisconnectJournal, NodeStep } from "./disconnect-journal.js";

/** What the audit must cover: what the command line gave, united with what the disconnect journal recorded. */
export interface AuditScope {
  /** The given nodes, then every recorded node the command line did not give but the journal says how to reach. */
  readonly nodes: readonly NodeSpec[];
  /** The given data dirs, then every recorded one (each audited; one that is gone is a gap). */
  readonly dataDirs: readonly string[];
  /** Snapshots the disconnect reviewed, by path: each must be audited again or be shown gone. */
  readonly recordedSnapshots: readonly { readonly dataDir: string; readonly path: string }[];
  /** Recorded nodes that cannot be audited: not given and not derivable from the journal. */
  readonly gaps: readonly AuditGap[];
  readonly topology: AuditTopology;
}

export interface GivenLocations {
  /** Where the nodes came from (`--inventory FILE`), or undefined: none given. */
  readonly source?: string;
  readonly nodes: readonly NodeSpec[];
  readonly dataDirs: readonly string[];
}

export const STANDALONE = "no nodes: standalone";

/** A recorded node as a spec, when the journal holds everything needed to reach it. */
function derivedSpec(step: NodeStep): NodeSpec | undefined {
  const role = step.role === "primary" || step.role === "replica" || step.role === "cluster" ? step.role : undefined;
  if (role === undefined) return undefined;
  if (step.transport === "local") {
    // A local node is a directory: port and user are never used to reach it.
    return {
      name: step.name,
      host: step.host,
      port: step.port ?? 22,
      user: step.user ?? "",
      role,
      path: step.path,
      transport: "local",
    };
  }
  if (step.transport !== "ssh" || step.port === undefined || step.user === undefined) return undefined;
  return {
    name: step.name,
    host: step.host,
    port: step.port,
    user: step.user,
    role,
    path: step.path,
    transport: "ssh",
  };
}

/**
 * The union of the locations the disconnect journal recorded (every node,
 * every data dir, every snapshot) and those given on the command line. A
 * recorded node that is neither given nor derivable (an ssh node recorded
 * before the journal kept its port and user) is a gap naming it.
 */
export function auditScope(journal: DisconnectJournal | undefined, given: GivenLocations): AuditScope {
  const nodes: NodeSpec[] = [...given.nodes];
  const gaps: AuditGap[] = [];
  const givenNames = new Set(given.nodes.map((node) => node.name));
  const recorded = journal?.nodes ?? [];
  for (const step of recorded) {
    if (givenNames.has(step.name)) continue;
    const spec = derivedSpec(step);
    if (spec !== undefined) nodes.push(spec);
    else
      gaps.push({
        location: step.name,
        path: step.path,
        reason: `node recorded by disconnect but not audited: ${step.transport} node ${step.host} is not in the given inventory and the journal does not say how to reach it (port, user); pass --inventory FILE that lists it`,
      });
  }
  const snapshots = journal?.snapshots?.entries ?? [];
  const dataDirs = [
    ...new Set([...given.dataDirs, ...(journal?.locations.dataDirs ?? []), ...snapshots.map((entry) => entry.dataDir)]),
  ];
  const source = given.source ?? (recorded.length > 0 ? "the disconnect journal" : "none");
  return {
    nodes,
    dataDirs,
    recordedSnapshots: snapshots.map((entry) => ({ dataDir: entry.dataDir, path: entry.path })),
    gaps,
    topology: {
      source,
      nodes: nodes.length + gaps.length,
      recordedNodes: recorded.length,
      ...(nodes.length + gaps.length === 0 ? { note: STANDALONE } : {}),
    },
  };
}
