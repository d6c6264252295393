import type { Command } from "commander";
import type { CommandContext, CommandResult, CommandRunner } from "../context.js";
import { withNodeFlags } from "./node-flags.js";

export interface CheckOptions {
  readonly inventory?: string;
  readonly clusterConf?: string;
  readonly nodes?: string;
  readonly identityFile?: string;
  readonly knownHosts?: string;
  readonly minTtl: string;
  readonly warnTtl: string;
  readonly offline?: boolean;
}

export async function runCheckCommand(context: CommandContext, options: CheckOptions): Promise<CommandResult> {
  const { renderCheck, unknownLine } = await import("../render/check.js");
  // A plugin answers with a state whatever happens: bad flags or files are UNKNOWN (exit 3), never the CLI's exit 2.
  try {
    const { parseDuration } = await import("@connect-ops/connection-core");
    const critTtlMs = parseDuration(options.minTtl, "--min-ttl");
    const warnTtlMs = parseDuration(options.warnTtl, "--warn-ttl");
    const { healthPorts } = await import("../wiring/health.js");
    const { assessHealth } = await import("../lifecycle/health.js");
    const ports = await healthPorts(context, options, { offline: options.offline === true });
    return renderCheck(await assessHealth(ports, { warnTtlMs, critTtlMs }));
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return {
      exitCode: 3,
      json: { state: "UNKNOWN", problems: [{ state: "UNKNOWN", text: message }] },
      human: [unknownLine(message)],
    };
  }
}

export function registerCheck(program: Command, run: CommandRunner): void {
  withNodeFlags(program.command("check"), {
    inventory: "also check the nodes of this inventory (drift) and its replicas (failover readiness)",
    select: true,
    writes: false,
  })
    .description(
      "a monitoring plugin (Nagios, Icinga, Sensu): one status line with perfdata, exit 0/1/2/3 = OK/WARNING/CRITICAL/UNKNOWN",
    )
    .option("--warn-ttl <duration>", "WARNING when the sealed token expires sooner than this", "10m")
    .option("--min-ttl <duration>", "CRITICAL when the sealed token expires sooner than this", "5m")
    .option("--offline", "do not compare the cloud's connection record (no cloud request)")
    .addHelpText(
      "after",
      [
        "",
        "Exit (the monitoring-plugins convention, NOT the CLI contract of the other commands):",
        "  0 OK · 1 WARNING (token below --warn-ttl, a node out of sync) · 2 CRITICAL (not connected, token below",
        "  --min-ttl, the cloud's record differs, a replica not ready for failover) · 3 UNKNOWN (the cloud or a",
        "  file could not be read, bad usage). The first line is the status; perfdata after '|':",
        "  token_ttl_seconds, nodes_behind, replicas_ready, generation.",
        "",
        "Example (NRPE / Icinga command):",
        "  connect-ops check --inventory /data/user/common/connect-ops/inventory.json --warn-ttl 15m --min-ttl 5m",
      ].join("\n"),
    )
    .action((options: CheckOptions) => run((context) => runCheckCommand(context, options)));
}
