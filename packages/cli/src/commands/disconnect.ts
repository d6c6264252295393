import type { Command } from "commander";
import { topologyFlags, type TopologyOptions } from "../flows/topology-options.js";
import type { CommandContext, CommandResult, CommandRunner } from "../context.js";
import { withNodeFlags } from "./node-flags.js";

/** The flags as commander names them. */
export interface DisconnectOptions extends TopologyOptions {
  readonly dataDir?: readonly string[];
  readonly purgeBackups?: boolean;
  readonly yes?: boolean;
  readonly shred?: boolean;
}

export async function runDisconnectCommand(
  context: CommandContext,
  options: DisconnectOptions,
): Promise<CommandResult> {
  const { disconnectPorts } = await import("../wiring/disconnect.js");
  const { runDisconnect } = await import("../lifecycle/disconnect.js");
  const { confirmDisconnect } = await import("./disconnect-confirm.js");
  const purgeBackups = options.purgeBackups === true;
  const confirm = confirmDisconnect(context.io, { yes: options.yes === true, purgeBackups });
  const { ports, request } = await disconnectPorts(
    context,
    { topology: topologyFlags(options), dataDirs: options.dataDir ?? [], purgeBackups },
    confirm,
  );
  const outcome = await runDisconnect(ports, request);
  const { renderDisconnect } = await import("../render/disconnect.js");
  const rendered = renderDisconnect(outcome);
  if (options.shred !== true) return rendered;
  if (!outcome.completed)
    return {
      ...rendered,
      human: [
        ...rendered.human,
        "Not shredded: the disconnect is incomplete; re-run `disconnect --shred` to finish both",
      ],
    };
  const { shredPorts } = await import("../wiring/shred.js");
  const { runShred } = await import("../lifecycle/shred.js");
  const { renderShred } = await import("../render/shred.js");
  const shredded = renderShred(await runShred(await shredPorts(context, topologyFlags(options))));
  return {
    exitCode: Math.max(rendered.exitCode, shredded.exitCode) as typeof rendered.exitCode,
    json: Object.assign({}, rendered.json, { shred: shredded.json }),
    human: [...rendered.human, ...shredded.human],
  };
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

export function registerDisconnect(program: Command, run: CommandRunner): void {
  withNodeFlags(program.command("disconnect"), {
    inventory: "the nodes that hold replicated credentials (docs/replication.md); without it, a standalone appliance",
    select: false,
    writes: true,
  })
    .description(
      "delete the GitHub App on the cloud and every copy of its credentials: primary, nodes and (with --purge-backups) snapshots",
    )
    .option("--data-dir <dir>", "a backup data dir whose snapshots may hold the credentials (repeatable)", collect)
    .option("--purge-backups", "redact every snapshot under the data dirs (default: only list what they still hold)")
    .option(
      "--shred",
      "then crypto-shred: destroy the appliance, escrow and enrolled nodes' identities and sign an attestation (see `shred --help`)",
    )
    .option("--yes", "do not ask for confirmation (required without a terminal)")
    .addHelpText(
      "after",
      "\nJournaled in <state-dir>/journal/disconnect.json: re-running after a crash or an unreachable node\nfinishes only what is pending. Exit 3 means incomplete (safe to re-run).\n\nExample:\n  connect-ops disconnect --inventory nodes.json --data-dir /data/backup-utils/data --purge-backups --yes",
    )
    .action((options: DisconnectOptions) => run((context) => runDisconnectCommand(context, options)));
}
