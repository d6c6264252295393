import type { CommandResult } from "../context.js";
import { EXIT } from "../exit-codes.js";
import { STANDALONE } from "../lifecycle/audit-scope.js";
import type { DisconnectOutcome } from "../lifecycle/disconnect.js";

/** The `disconnect` command's output: exit code, `--json` document and human lines (shared with the demo). */
export function renderDisconnect(outcome: DisconnectOutcome): CommandResult {
  const { journal } = outcome;
  const cloud = journal.cloud;
  const snapshots = journal.snapshots?.entries ?? [];
  const holding = snapshots.filter((entry) => entry.state === "holds-residue");
  const human = [
    outcome.completed
      ? "Disconnected."
      : "Disconnect is incomplete: re-run the same command to finish it (only what is pending is retried).",
    `  cloud      token ${cloud.tokenRevoke?.result ?? "-"}, installation ${cloud.installation?.result ?? "-"}, record ${cloud.record?.result ?? "-"}, app ${cloud.app?.result ?? "-"}${cloud.revocationProof ? "; old token refused (401)" : ""}`,
    `  primary    vault destroyed (${journal.local?.removed.length ?? 0} file(s) shredded)`,
    ...(journal.nodes.length === 0 ? [`  nodes      ${STANDALONE}`] : []),
    ...journal.nodes.map(
      (node) =>
        `  node       ${node.name.padEnd(16)} ${node.status}${node.status === "pending" && node.lastError ? ` — ${node.lastError.code}: ${node.lastError.message}` : ""}`,
    ),
    ...snapshots.map(
      (entry) =>
        `  snapshot   ${entry.path} ${entry.state}${entry.sealedCopy ? ` (sealed copy; opened by ${entry.recipients.join(", ") || "unknown recipients"})` : ""}${entry.findings > 0 && !entry.sealedCopy ? ` (${entry.findings} finding(s))` : ""}`,
    ),
    ...(holding.length > 0 && journal.snapshots?.mode === "listed"
      ? ["  snapshots still hold the credentials: re-run with --purge-backups to redact them"]
      : []),
    `  journal    ${outcome.journalFile} (keeps the secret-free fingerprints for verify-cleanup)`,
    journal.nodes.length === 0
      ? "  next: connect-ops verify-cleanup --data-dir DIR --report audit.json"
      : "  next: connect-ops verify-cleanup --inventory FILE --data-dir DIR --report audit.json",
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
      topology: journal.nodes.length === 0 ? STANDALONE : `${String(journal.nodes.length)} node(s)`,
      snapshots: journal.snapshots ?? null,
      fingerprintSets: journal.fingerprints.map((set) => set.id),
    },
    human,
  };
}
