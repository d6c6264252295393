import { redactSecrets } from "@connect-ops/connection-core";
import type { CommandResult } from "../context.js";
import { humanDuration } from "../flows/human-units.js";
import type { HealthReport, HealthState } from "../lifecycle/health.js";

/** The plugin's exit codes (monitoring-plugins guidelines), not the CLI contract's. */
export const PLUGIN_EXIT: Readonly<Record<HealthState, 0 | 1 | 2 | 3>> = { OK: 0, WARNING: 1, CRITICAL: 2, UNKNOWN: 3 };

/** One perfdata item: 'label'=value[UOM];[warn];[crit];[min];[max] (ranges as the guidelines write them). */
function perf(label: string, value: number | null, unit = "", warn = "", crit = "", min = "0", max = ""): string {
  const shown = value === null ? "U" : `${value}${unit}`;
  return `${label}=${shown};${warn};${crit};${min};${max}`.replace(/;+$/, "");
}

/** The status line (first line of output: what the monitoring system shows) and the long output. */
export function renderCheck(report: HealthReport): CommandResult {
  const summary =
    report.problems.length > 0
      ? report.problems.map((problem) => problem.text).join("; ")
      : [
          report.tokenTtlSeconds === null ? "no token" : `token expires in ${humanDuration(report.tokenTtlSeconds)}`,
          `generation ${report.generation ?? "-"}`,
          ...(report.nodesBehind === null
            ? []
            : [`${report.nodes.length - report.nodesBehind}/${report.nodes.length} nodes in sync`]),
          ...(report.replicasReady === null
            ? []
            : [`${report.replicasReady}/${report.replicas.length} replicas ready`]),
        ].join(", ");
  const perfdata = [
    perf(
      "token_ttl_seconds",
      report.tokenTtlSeconds,
      "s",
      `${report.thresholds.warnTtlSeconds}:`,
      `${report.thresholds.critTtlSeconds}:`,
      "",
    ),
    perf(
      "nodes_behind",
      report.nodesBehind,
      "",
      "0",
      "",
      "0",
      report.nodes.length > 0 ? String(report.nodes.length) : "",
    ),
    perf(
      "replicas_ready",
      report.replicasReady,
      "",
      "",
      "",
      "0",
      report.replicas.length > 0 ? String(report.replicas.length) : "",
    ),
    perf("generation", report.generation, "", "", "", "0"),
  ].join(" ");
  const line = `CONNECT-OPS ${report.state} - ${redactSecrets(summary).replace(/\|/g, "/")} | ${perfdata}`;
  const long = report.problems
    .slice(1)
    .map((problem) => `${problem.state}: ${redactSecrets(problem.text).replace(/\|/g, "/")}`);
  return { exitCode: PLUGIN_EXIT[report.state], json: report, human: [line, ...long], verdict: line };
}

/** The status line for an input the plugin could not act on (a usage error): UNKNOWN, exit 3. */
export function unknownLine(message: string): string {
  return `CONNECT-OPS UNKNOWN - ${redactSecrets(message).replace(/\|/g, "/")}`;
}
