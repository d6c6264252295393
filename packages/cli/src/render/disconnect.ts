import type { CommandResult } from "../context.js";
import { EXIT } from "../exit-codes.js";
import { STANDALONE } from "../lifecycle/audit-scope.js";
import type { DisconnectOutcome } from "../lifecycle/disconnect.js";
import type { CloudSteps } from "../lifecycle/disconnect-journal.js";

/** The proofs (status and time), the record's absence on github.com, and the settings-page step while it is pending. */
function cloudProofLines(cloud: CloudSteps): string[] {
  const lines: string[] = [];
  const { appKey, token } = cloud.proofs ?? {};
  if (appKey !== undefined)
    lines.push(`  proof      ${appKey.request} with the App's JWT → ${appKey.status} at ${appKey.at}`);
  if (token !== undefined)
    lines.push(`  proof      ${token.request} with the old token → ${token.status} at ${token.at}`);
  if (cloud.record?.result === "none")
    lines.push("  record     none: no connection record was registered (github.com has none)");
  else if (cloud.record?.result === "unsupported")
    lines.push(`  record     not provable: ${cloud.record.detail ?? ""}`);
  if (cloud.appDeletion !== undefined) {
    lines.push(
      "  app        still exists, and this cloud has no API to delete it: a person must delete it",
      `             ${cloud.appDeletion.url}`,
      `             ${cloud.appDeletion.instructions}`,
    );
  }
  return lines;
}

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
    `  cloud      token ${cloud.tokenRevoke?.result ?? "-"}, installation ${cloud.installation?.result ?? "-"}, record ${cloud.record?.result ?? "-"}, app ${cloud.app?.result ?? "-"}`,
    ...cloudProofLines(cloud),
    journal.local === undefined
      ? "  primary    vault kept: the App's key is needed to prove the App deleted"
      : `  primary    vault destroyed (${journal.local.removed.length} file(s) shredded)`,
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
      appDeletion: journal.cloud.appDeletion ?? null,
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
