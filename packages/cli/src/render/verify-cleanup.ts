import type { CommandResult } from "../context.js";
import { EXIT } from "../exit-codes.js";
import { formatBytes } from "../flows/human-units.js";
import type { AuditOutcome } from "../lifecycle/audit-cleanup.js";

const EXIT_BY_VERDICT = { clean: EXIT.ok, residue: EXIT.problemFound, inconclusive: EXIT.incomplete } as const;

/** The `verify-cleanup` command's output: exit code, `--json` document and human lines (shared with the demo). */
export function renderAudit(outcome: AuditOutcome): CommandResult {
  const { report } = outcome;
  const human = [
    `Verdict: ${report.verdict.toUpperCase()} (${report.findings.length} finding(s), ${report.gaps.length} coverage gap(s); ${report.totals.filesScanned} files, ${formatBytes(report.totals.bytesScanned)} scanned)`,
    ...(report.topology.note === undefined ? [] : [`  nodes    ${report.topology.note}`]),
    ...report.locations.map((location) => `  ${location.result.padEnd(8)} ${location.kind.padEnd(9)} ${location.name}`),
    ...report.findings.map(
      (finding) =>
        `  residue  ${finding.location}: ${finding.path}${finding.member ? `!${finding.member}` : ""} [${finding.form}${finding.encoding ? `/${finding.encoding}` : ""}]${finding.recipients?.length ? ` opened by ${finding.recipients.join(", ")}` : ""}`,
    ),
    ...report.gaps.map(
      (gap) => `  gap      ${gap.location}: ${gap.path ?? ""}${gap.member ? `!${gap.member}` : ""} — ${gap.reason}`,
    ),
    ...(outcome.reportFile === undefined
      ? ["  (no --report FILE: nothing written)"]
      : [`  report   ${outcome.reportFile} (${outcome.reportSha256}; signature ${outcome.signatureFile ?? ""})`]),
    `  not checked: ${String(report.notChecked.filter((item) => item.kind === "limit").length)} known limit(s) of ${report.detectionMethod.split(" ")[0] ?? ""} (listed in the report's notChecked)`,
    ...(outcome.markdownFile === undefined ? [] : [`  markdown ${outcome.markdownFile}`]),
    ...(outcome.htmlFile === undefined ? [] : [`  html     ${outcome.htmlFile}`]),
  ];
  return {
    exitCode: EXIT_BY_VERDICT[report.verdict],
    verdict: human[0],
    json: {
      verdict: report.verdict,
      report,
      signature: outcome.signature,
      publicKey: outcome.publicKey,
      findings: report.findings,
      gaps: report.gaps,
      reportFile: outcome.reportFile ?? null,
      reportSha256: outcome.reportSha256,
      signatureFile: outcome.signatureFile ?? null,
      markdownFile: outcome.markdownFile ?? null,
      htmlFile: outcome.htmlFile ?? null,
    },
    human,
  };
}
