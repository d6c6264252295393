import type { CommandResult } from "../context.js";
import { replicateExitCode, type ReplicateReport, type ReplicateRow } from "../lifecycle/replicate.js";
import { formatDuration, formatGenerations, renderTable } from "../node-table.js";

/** The statuses of a node that holds (or, in a dry run, would hold) the primary's generation. */
export const CONVERGED: ReadonlySet<string> = new Set(["updated", "unchanged", "would-update"]);

/** The `replicate` command's output: exit code, `--json` document and human lines (shared with the demo). */
export function renderReplicate(report: ReplicateReport): CommandResult {
  return { exitCode: replicateExitCode(report), json: report, human: humanReport(report) };
}

function humanReport(report: ReplicateReport): string[] {
  const table = renderTable(
    ["NODE", "ROLE", "STATUS", "GENERATION", "TIME"],
    report.nodes.map((row) => [
      row.name,
      row.role,
      row.status,
      formatGenerations(row.generationBefore, row.generationAfter),
      formatDuration(row.durationMs),
    ]),
  );
  const errors = report.nodes.flatMap((row) =>
    row.error === undefined
      ? []
      : [
          `  ${row.name}: error[${row.error.code}]: ${row.error.message}`,
          ...(row.error.hint === undefined ? [] : [`    → ${row.error.hint}`]),
        ],
  );
  return [...table, ...errors, verdict(report)];
}

function count(rows: readonly ReplicateRow[], status: ReplicateRow["status"]): number {
  return rows.filter((row) => row.status === status).length;
}

/** The one-line verdict an operator reads first. */
function verdict(report: ReplicateReport): string {
  const rows = report.nodes;
  const tally = (["updated", "would-update", "unchanged", "stale", "failed", "unreachable"] as const)
    .map((status) => [status, count(rows, status)] as const)
    .filter(([, n]) => n > 0)
    .map(([status, n]) => `${n} ${status}`)
    .join(", ");
  const refused = rows.filter(
    (row) => row.error?.code.startsWith("REPL_HOST_KEY_") === true || row.error?.code === "REPL_AUTH_FAILED",
  );
  if (refused.length > 0) {
    return `Refused: ${refused.map((row) => row.name).join(", ")} did not pass the host key or login check; nothing was sent to ${refused.length === 1 ? "it" : "them"} (${tally}). Fix the trust issue above and re-run.`;
  }
  const notDone = rows.filter((row) => !CONVERGED.has(row.status));
  if (report.dryRun) {
    return notDone.length === 0
      ? `Dry run for generation ${report.generation}, ${rows.length} nodes: ${tally}; nothing was written.`
      : `Dry run: ${tally}; ${notDone.length} node(s) would not converge (see above); nothing was written.`;
  }
  if (notDone.length === 0)
    return `Converged: all ${rows.length} nodes hold generation ${report.generation} (${tally}).`;
  const stale =
    count(rows, "stale") > 0
      ? " A stale node holds a newer generation than this vault: check which appliance is the primary before anything else."
      : "";
  return `Incomplete: ${notDone.length} of ${rows.length} nodes did not converge (${tally}). Re-run the same command to finish; converged nodes are not touched.${stale}`;
}
