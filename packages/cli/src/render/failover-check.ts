import type { CommandResult } from "../context.js";
import { failoverExitCode, type FailoverReport } from "../lifecycle/failover-check.js";
import { renderTable } from "../node-table.js";

/** The `failover-check` command's output: exit code, `--json` document and human lines (shared with the demo). */
export function renderFailover(report: FailoverReport): CommandResult {
  const human = humanReport(report);
  return { exitCode: failoverExitCode(report), json: report, human, verdict: human.at(-1) };
}

function humanReport(report: FailoverReport): string[] {
  const lines: string[] = [];
  for (const replica of report.replicas) {
    lines.push(`${replica.name}: ${replica.ready ? "READY" : "NOT READY"}`);
    lines.push(
      ...renderTable(
        ["  CHECK", "OK", "DETAIL"],
        replica.checks.map((check) => [`  ${check.name}`, check.ok ? "yes" : "NO", check.detail]),
      ),
    );
    if (replica.error?.hint !== undefined) lines.push(`    → ${replica.error.hint}`);
    else if (replica.hint !== undefined) lines.push(`    → ${replica.hint}`);
  }
  const failing = report.replicas.filter((replica) => !replica.ready).map((replica) => replica.name);
  lines.push(
    report.ready
      ? `Ready: ${report.replicas.length === 1 ? "the replica holds" : `all ${report.replicas.length} replicas hold`} generation ${report.primaryGeneration} of the primary with a token valid beyond the margin, sealed to ${report.replicas.length === 1 ? "its own identity" : "their own identities"}${report.rehearsed ? " (rehearsed: opened and authenticated)" : ""}.`
      : `Not ready: ${failing.join(", ")} could not take over GitHub Connect now (see the failed checks). After fixing, run \`connect-ops replicate\` and check again.`,
  );
  return lines;
}
