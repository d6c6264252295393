import type { Command } from "commander";
import type { CommandContext, CommandResult, CommandRunner } from "../context.js";

/** The flags as commander names them. */
export interface FailoverCheckOptions {
  readonly inventory?: string;
  readonly clusterConf?: string;
  readonly replica?: string;
  readonly minTtl: string;
  readonly identityFile?: string;
  readonly knownHosts?: string;
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
    ...(options.inventory === undefined ? {} : { inventory: options.inventory }),
    ...(options.clusterConf === undefined ? {} : { clusterConf: options.clusterConf }),
    ...(options.replica === undefined ? {} : { replica: options.replica }),
    ...(options.identityFile === undefined ? {} : { identityFile: options.identityFile }),
    ...(options.knownHosts === undefined ? {} : { knownHostsFile: options.knownHosts }),
  });
  const report = await checkFailover(ports, { minTtlMs });
  const { renderFailover } = await import("../render/failover-check.js");
  return renderFailover(report);
}

export function registerFailoverCheck(program: Command, run: CommandRunner): void {
  program
    .command("failover-check")
    .description(
      "tell whether each HA replica could take over GitHub Connect now (reachable, same generation and key, fresh token, openable)",
    )
    .option("--inventory <file>", "inventory JSON listing the nodes (see docs/replication.md)")
    .option("--cluster-conf <file>", "build the node list from a GHES cluster.conf instead")
    .option("--replica <name>", "check only this replica")
    .option("--min-ttl <duration>", "the replica's token must stay valid at least this long", "10m")
    .option("--identity-file <file>", "SSH private key (default: the inventory's ssh.identityFile, else ssh-agent)")
    .option(
      "--known-hosts <file>",
      "known_hosts file (default: the inventory's ssh.knownHostsFile, else ~/.ssh/known_hosts)",
    )
    .addHelpText(
      "after",
      [
        "",
        "Exit: 0 every replica checked is ready · 1 not ready (a check failed; an unreachable replica is not ready)",
        "      · 2 bad input (no replica in the inventory, unknown --replica, not connected) or a replica's host key",
        "        or login was refused, so it could not be evaluated. The check never exits 3: it always answers.",
        "",
        "Example (before a planned failover, with a 30 minute margin):",
        "  connect-ops failover-check --inventory /data/user/common/connect-ops/inventory.json --replica ghes-replica --min-ttl 30m",
      ].join("\n"),
    )
    .action((options: FailoverCheckOptions) => run((context) => runFailoverCheckCommand(context, options)));
}
