import type { Command } from "commander";
import type { CommandContext, CommandResult, CommandRunner } from "../context.js";
import { EXIT } from "../exit-codes.js";

/** The flags as commander names them. */
export interface DisconnectOptions {
  readonly inventory: string;
  readonly dataDir?: readonly string[];
  readonly purgeBackups?: boolean;
  readonly yes?: boolean;
}

export async function runDisconnectCommand(context: CommandContext, options: DisconnectOptions): Promise<CommandResult> {
  const { disconnectPorts } = await import("../wiring.js");
  const { runDisconnect } = await import("../lifecycle/disconnect.js");
  const { confirmDisconnect } = await import("./disconnect-confirm.js");
  const purgeBackups = options.purgeBackups === true;
  const confirm = confirmDisconnect(context.io, { yes: options.yes === true, purgeBackups });
  const { ports, request } = await disconnectPorts(context, { inventory: options.inventory, dataDirs: options.dataDir ?? [], purgeBackups }, confirm);
  const outcome = await runDisconnect(ports, request);
  const { journal } = outcome;
  const cloud = journal.cloud;
  const snapshots = journal.snapshots?.entries ?? [];
  const holding = snapshots.filter((entry) => entry.state === "holds-residue");
  const human = [
    outcome.completed ? "Disconnected." : "Disconnect is incomplete: re-run the same command to finish it (only what is pending is retried).",
    `  cloud      token ${cloud.tokenRevoke?.result ?? "-"}, installation ${cloud.installation?.result ?? "-"}, record ${cloud.record?.result ?? "-"}, app ${cloud.app?.result ?? "-"}${cloud.revocationProof ? "; old token refused (401)" : ""}`,
    `  primary    vault destroyed (${journal.local?.removed.length ?? 0} file(s) shredded)`,
    ...journal.nodes.map((node) => `  node       ${node.name.padEnd(16)} ${node.status}${node.status === "pending" && node.lastError ? ` — ${node.lastError.code}: ${node.lastError.message}` : ""}`),
    ...snapshots.map(
      (entry) =>
        `  snapshot   ${entry.path} ${entry.state}${entry.sealedCopy ? ` (sealed copy; opened by ${entry.recipients.join(", ") || "unknown recipients"})` : ""}${entry.findings > 0 && !entry.sealedCopy ? ` (${entry.findings} finding(s))` : ""}`,
    ),
    ...(holding.length > 0 && journal.snapshots?.mode === "listed" ? ["  snapshots still hold the credentials: re-run with --purge-backups to redact them"] : []),
    `  journal    ${outcome.journalFile} (keeps the secret-free fingerprints for verify-cleanup)`,
    "  next: connect-ops verify-cleanup --inventory FILE --data-dir DIR --report audit.json",
  ];
  return {
    exitCode: outcome.completed ? EXIT.ok : EXIT.incomplete,
    json: {
      completed: outcome.completed,
      resumed: outcome.resumed,
      journalFile: outcome.journalFile,
      pendingNodes: outcome.pendingNodes,
      subject: journal.subject ?? null,
      cloud,
      removed: journal.local?.removed ?? [],
      nodes: journal.nodes,
      snapshots: journal.snapshots ?? null,
      fingerprintSets: journal.fingerprints.map((set) => set.id),
    },
    human,
  };
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

export function registerDisconnect(program: Command, run: CommandRunner): void {
  program
    .command("disconnect")
    .description("delete the GitHub App on the cloud and every copy of its credentials: primary, nodes and (with --purge-backups) snapshots")
    .requiredOption("--inventory <file>", "the nodes that hold replicated credentials (docs/replication.md)")
    .option("--data-dir <dir>", "a backup data dir whose snapshots may hold the credentials (repeatable)", collect)
    .option("--purge-backups", "redact every snapshot under the data dirs (default: only list what they still hold)")
    .option("--yes", "do not ask for confirmation (required without a terminal)")
    .addHelpText(
      "after",
      "\nJournaled in <state-dir>/journal/disconnect.json: re-running after a crash or an unreachable node\nfinishes only what is pending. Exit 3 means incomplete (safe to re-run).\n\nExample:\n  connect-ops disconnect --inventory nodes.json --data-dir /data/backup-utils/data --purge-backups --yes",
    )
    .action((options: DisconnectOptions) => run((context) => runDisconnectCommand(context, options)));
}
