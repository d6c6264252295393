import { topologyFlags } from "../flows/topology-options.js";
import type { Command } from "commander";
import type { CommandContext, CommandResult, CommandRunner } from "../context.js";
import { withNodeFlags } from "./node-flags.js";

/** The flags as commander names them. */
export interface FailoverCheckOptions {
  readonly inventory?: string;
  readonly clusterConf?: string;
  readonly replica?: string;
  readonly minTtl: string;
  readonly identityFile?: string;
  readonly knownHosts?: string;
  readonly rehearse?: boolean;
}

export async function runFailoverCheckCommand(
  context: CommandContext,
  options: FailoverCheckOptions,
): Promise<CommandResult> {
  const { parseDuration } = await import("@connect-ops/connection-core");
  const minTtlMs = parseDuration(options.minTtl, "--min-ttl");
  const { failoverPorts } = await import("../wiring/nodes.js");
  const { checkFailover } = await import("../lifecycle/failover-check.js");
  const ports = await failoverPorts(context, {
    ...topologyFlags(options),
    ...(options.replica === undefined ? {} : { replica: options.replica }),
  });
  const report = await checkFailover(ports, { minTtlMs, rehearse: options.rehearse === true });
  const { renderFailover } = await import("../render/failover-check.js");
  return { ...renderFailover(report), success: "failover-check" };
}

export function registerFailoverCheck(program: Command, run: CommandRunner): void {
  withNodeFlags(program.command("failover-check"), {
    inventory: "inventory JSON listing the nodes (see docs/replication.md)",
    select: false,
    writes: false,
  })
    .description(
      "tell whether each HA replica could take over GitHub Connect now (reachable, same generation and key, fresh token, enrolled and able to open its copy)",
    )
    .option("--replica <name>", "check only this replica")
    .option("--min-ttl <duration>", "the replica's token must stay valid at least this long", "10m")
    .option(
      "--rehearse",
      "also read each replica's identity and copy into memory, open the copy and authenticate its key against the cloud (writes nothing)",
    )
    .addHelpText(
      "after",
      [
        "",
        "Exit: 0 every replica checked is ready · 1 not ready (a check failed; an unreachable replica is not ready)",
        "      · 2 bad input (no replica in the inventory, unknown --replica, not connected) or a replica's host key",
        "        or login was refused, so it could not be evaluated. The check never exits 3: it always answers.",
        "",
        "A replica is READY only once enrolled (`connect-ops node enroll`): its copy is sealed to its own identity",
        "and the node holds that identity file with the recorded SHA-256 (hashed on the node, no secret crosses).",
        "",
        "Example (before a planned failover, with a 30 minute margin):",
        "  connect-ops failover-check --inventory /data/user/common/connect-ops/inventory.json --replica ghes-replica --min-ttl 30m",
        "  connect-ops failover-check --inventory /data/user/common/connect-ops/inventory.json --rehearse",
      ].join("\n"),
    )
    .action((options: FailoverCheckOptions) => run((context) => runFailoverCheckCommand(context, options)));
}
