import type { CommandResult } from "../context.js";
import { EXIT } from "../exit-codes.js";
import type { EstateReportOutcome } from "../lifecycle/estate-report.js";

const EXIT_BY_VERDICT = { clean: EXIT.ok, residue: EXIT.problemFound, inconclusive: EXIT.incomplete } as const;

/** The `estate report` output: one line per appliance, the estate verdict, the gaps; `--json` without the embedded reports. */
export function renderEstateReport(outcome: EstateReportOutcome): CommandResult {
  const { report } = outcome;
  const appliances = report.appliances.map((entry) => ({
    name: entry.name,
    expected: entry.expected,
    verdict: entry.verdict,
    ...(entry.reason === undefined ? {} : { reason: entry.reason }),
    publicKeyFingerprint: entry.publicKeyFingerprint,
    ...(entry.embedded === undefined ? {} : { reportSha256: entry.embedded.sha256 }),
  }));
  const human = [
    `Estate ${report.estate}: ${report.verdict.toUpperCase()} (${report.totals.clean}/${report.totals.expected} expected appliances clean)`,
    ...report.appliances.map(
      (entry) =>
        `  ${entry.name.padEnd(20)} ${entry.verdict.toUpperCase()}${entry.expected ? "" : " (not expected)"}${
          entry.reason === undefined ? "" : ` — ${entry.reason}`
        }`,
    ),
    ...(report.residue.length === 0 ? [] : [`Residue on: ${report.residue.join(", ")}`]),
    ...(report.unlisted.length === 0 ? [] : [`Not in the estate file (not merged): ${report.unlisted.join(", ")}`]),
    `Signed report: ${outcome.reportFile} (signature ${outcome.signatureFile}, ${outcome.reportSha256})`,
    ...(outcome.htmlFile === undefined ? [] : [`HTML rendering: ${outcome.htmlFile}`]),
  ];
  return {
    exitCode: EXIT_BY_VERDICT[report.verdict],
    json: {
      estate: report.estate,
      verdict: report.verdict,
      totals: report.totals,
      residue: report.residue,
      gaps: report.gaps,
      unlisted: report.unlisted,
      appliances,
      reportFile: outcome.reportFile,
      signatureFile: outcome.signatureFile,
      reportSha256: outcome.reportSha256,
      ...(outcome.htmlFile === undefined ? {} : { htmlFile: outcome.htmlFile }),
    },
    human,
  };
}
