import type { Command } from "commander";
import type { CommandContext, CommandResult, CommandRunner } from "../context.js";
import { EXIT } from "../exit-codes.js";
import type { HealthTopologyOptions } from "../wiring/health.js";
import { withNodeFlags } from "./node-flags.js";

export interface MetricsOptions extends HealthTopologyOptions {
  readonly out: string;
}

export async function runMetricsCommand(context: CommandContext, options: MetricsOptions): Promise<CommandResult> {
  const out = context.resolvePath(options.out);
  const { healthPorts } = await import("../wiring/health.js");
  const { assessHealth } = await import("../lifecycle/health.js");
  const { readLastSuccess } = await import("../flows/last-success.js");
  const { readResidue } = await import("../flows/residue-record.js");
  const { renderMetrics } = await import("../render/metrics.js");
  const { atomicWriteFile } = await import("@connect-ops/credential-vault");
  // Offline: a scrape must not depend on the cloud answering; `check` compares the cloud's record.
  const ports = await healthPorts(context, options, { offline: true });
  const health = await assessHealth(ports, { warnTtlMs: 0, critTtlMs: 0 });
  const { stateDir } = context.globals;
  const text = renderMetrics({ health, lastSuccess: readLastSuccess(stateDir), residue: readResidue(stateDir) });
  // node_exporter reads *.prom files as they are: written whole (rename), world-readable, no secret inside.
  await atomicWriteFile(out, Buffer.from(text), { mode: 0o644 });
  return {
    exitCode: EXIT.ok,
    json: { out, state: health.state, problems: health.problems },
    human: [`Wrote ${out} (${text.split("\n").filter((line) => line !== "" && !line.startsWith("#")).length} samples)`],
  };
}

export function registerMetrics(program: Command, run: CommandRunner): void {
  withNodeFlags(program.command("metrics"), {
    inventory: "also report each node's generation and each replica's failover readiness",
    select: true,
    writes: false,
  })
    .description(
      "write a Prometheus textfile (for node_exporter's textfile collector): token expiry, generations, failover readiness, last successes, backup residue",
    )
    .requiredOption("--out <file>", "the .prom file to write, e.g. /var/lib/prometheus/node-exporter/connect_ops.prom")
    .addHelpText(
      "after",
      [
        "",
        "Exit: 0 written (whatever the health: read it from the metrics, or use `connect-ops check`) · 2 bad input",
        "",
        "Example (a systemd timer or cron, every minute):",
        "  connect-ops metrics --out /var/lib/prometheus/node-exporter/connect_ops.prom --inventory inventory.json",
      ].join("\n"),
    )
    .action((options: MetricsOptions) => run((context) => runMetricsCommand(context, options)));
}
