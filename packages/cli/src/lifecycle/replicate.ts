import type { NodeProbe, NodeResult, NodeSpec, ReplicationLogger, ReplicationPayload } from "@connect-ops/replication";
import { join } from "node:path";
import { EXIT, type ExitCode } from "../exit-codes.js";
import type { Topology } from "../flows/inventory.js";
import { describeNodeFailure, isRefusal, type NodeErrorView } from "../flows/node-errors.js";
import { requireConnected } from "./require-connected.js";

/** A real run's statuses, plus `would-update` for `--dry-run`. */
export type ReplicateRowStatus = NodeResult["status"] | "would-update";

/** One node in the `--json` document and the table. */
export interface ReplicateRow {
  readonly name: string;
  readonly role: NodeSpec["role"];
  readonly status: ReplicateRowStatus;
  readonly generationBefore: number | null;
  readonly generationAfter: number | null;
  readonly durationMs: number;
  readonly error?: NodeErrorView;
}

export interface ReplicateReport {
  readonly dryRun: boolean;
  readonly source: string;
  /** The primary vault's generation: what every node should hold. */
  readonly generation: number;
  readonly nodes: readonly ReplicateRow[];
}

/** What `replicate` reads and writes: the primary's pair, the topology's nodes, a progress sink. */
export interface ReplicatePorts {
  readonly stateDir: string;
  /** The nodes (already loaded and checked) and how to reach them. */
  readonly topology: Topology;
  readonly logger: ReplicationLogger;
  readonly now: () => number;
  /**
   * Seals the vault again when it misses an enrolled node's recipient (a node
   * enrolled while the vault was being written, or a state dir restored with
   * enrollments), so every copy pushed opens with its node's identity. Not
   * called for `--dry-run`.
   */
  readonly sealToEnrolled?: () => Promise<void>;
  /** Called before the fan-out with the node names, in order. */
  readonly onStart?: (names: readonly string[]) => void;
  /** Called as each node finishes; must not throw. */
  readonly onNodeResult?: (row: ReplicateRow) => void;
}

export interface ReplicateRequest {
  readonly dryRun: boolean;
  readonly concurrency?: number;
}

/**
 * Reads the primary's pair under the vault lock: a `token` run committing at
 * the same moment could otherwise hand us the new sealed file with the old
 * meta. Taking the lock also finishes a commit that a crash interrupted.
 */
export async function readPrimaryPayload(stateDir: string, now: () => number): Promise<ReplicationPayload> {
  const { CredentialVault, STATE_FILES, ensureSafeDirectory } = await import("@connect-ops/credential-vault");
  const { readVaultPayload } = await import("@connect-ops/replication");
  await ensureSafeDirectory(stateDir);
  const vault = new CredentialVault(join(stateDir, STATE_FILES.vault), { now });
  requireConnected(await vault.readMeta(), stateDir);
  const lock = await vault.lock();
  try {
    return await readVaultPayload(vault.dir);
  } finally {
    await lock.release();
  }
}

/**
 * Pushes the primary vault's `credentials.age` + `meta.json` to the nodes of
 * the topology (or, with `dryRun`, probes them and says what a run would do).
 * Flags are validated before the vault or any node is touched. Per-node
 * failures are rows, never exceptions; throws only for bad input (exit 2).
 */
export async function replicateFromPrimary(ports: ReplicatePorts, request: ReplicateRequest): Promise<ReplicateReport> {
  const { topology, logger } = ports;
  if (!request.dryRun) await ports.sealToEnrolled?.();
  const payload = await readPrimaryPayload(ports.stateDir, ports.now);
  const { probeNodes, replicateToNodes } = await import("@connect-ops/replication");
  const errorView = (name: string, error: NodeResult["error"]) =>
    error === undefined ? {} : { error: describeNodeFailure(error) };
  const common = {
    ssh: topology.ssh,
    logger,
    ...(request.concurrency === undefined ? {} : { concurrency: request.concurrency }),
  };
  ports.onStart?.(topology.nodes.map((node) => node.name));

  if (request.dryRun) {
    const probes = await probeNodes(topology.nodes, {
      ...common,
      expected: {
        generation: payload.meta.generation,
        sealedSha256: payload.sealedSha256,
        metaSha256: payload.metaSha256,
      },
    });
    const rows = probes.map((probe) => {
      const row = plannedRow(probe, payload.meta.generation);
      const withError = { ...row, ...errorView(probe.name, row.error) };
      ports.onNodeResult?.(withError);
      return withError;
    });
    return { dryRun: true, source: topology.source, generation: payload.meta.generation, nodes: rows };
  }

  const results = await replicateToNodes(topology.nodes, payload, {
    ...common,
    onNodeResult: (result) => ports.onNodeResult?.({ ...result, ...errorView(result.name, result.error) }),
  });
  const rows = results.map((result) => ({ ...result, ...errorView(result.name, result.error) }));
  return { dryRun: false, source: topology.source, generation: payload.meta.generation, nodes: rows };
}

/** What `replicate` would do to a probed node; mirrors the compare-and-swap rule of the push. */
function plannedRow(
  probe: NodeProbe,
  generation: number,
): ReplicateRow & { error?: { code: string; message: string } } {
  const base = { name: probe.name, role: probe.role, generationBefore: probe.generation, durationMs: probe.durationMs };
  if (probe.status === "unreachable" || probe.status === "failed") {
    return {
      ...base,
      status: probe.status,
      generationAfter: null,
      ...(probe.error === undefined ? {} : { error: probe.error }),
    };
  }
  switch (probe.drift) {
    case "in-sync":
      return { ...base, status: "unchanged", generationAfter: probe.generation };
    case "ahead":
      return { ...base, status: "stale", generationAfter: probe.generation };
    case "diverged":
      // Same generation, other bytes: only an interrupted write (inconsistent pair) is repaired.
      if (probe.consistent) {
        return {
          ...base,
          status: "failed",
          generationAfter: probe.generation,
          error: {
            code: "REPL_GENERATION_CONFLICT",
            message: `node ${probe.name} holds different credentials with the same generation ${generation}`,
          },
        };
      }
      return { ...base, status: "would-update", generationAfter: generation };
    default:
      return { ...base, status: "would-update", generationAfter: generation };
  }
}

/**
 * The contract's exit code for a run: 2 when any node refused us on trust
 * (host key, auth: re-running cannot help), else 3 when any node did not
 * converge (failed, unreachable, or newer than the primary), else 0.
 */
export function replicateExitCode(report: ReplicateReport): ExitCode {
  if (report.nodes.some((row) => isRefusal(row.error))) return EXIT.usage;
  const done = (row: ReplicateRow) =>
    row.status === "updated" || row.status === "unchanged" || row.status === "would-update";
  return report.nodes.every(done) ? EXIT.ok : EXIT.incomplete;
}
