import type { CommandResult } from "../context.js";
import { EXIT } from "../exit-codes.js";
import type { SignedReportCheck } from "../flows/audit-report-verify.js";

function estateLines(check: SignedReportCheck): string[] {
  if (check.estate === undefined) return [];
  return [
    ...check.estate.embedded.map(
      (embedded) =>
        `  ${embedded.appliance}: ${embedded.verdict}, embedded report ${embedded.result === "none" ? "none" : embedded.result.toUpperCase()}${
          embedded.reason === undefined ? "" : ` — ${embedded.reason}`
        }`,
    ),
    ...(check.estate.verdictConsistent ? [] : ["  the estate verdict is not what its appliances' verdicts give"]),
  ];
}

/** The `verify-report` command's output: exit code, `--json` document and human lines (shared with the demo). */
export function renderSignatureCheck(check: SignedReportCheck): CommandResult {
  const human =
    check.result === "valid"
      ? [
          `Signature VALID: ${check.reportFile} was signed by ${check.publicKeyFile}`,
          ...(check.verdict === undefined ? [] : [`  verdict ${check.verdict}, finished ${check.finishedAt ?? "?"}`]),
          ...estateLines(check),
        ]
      : check.estate === undefined
        ? [
            `Signature INVALID: ${check.reportFile} was changed after signing, or was signed by another key than ${check.publicKeyFile}`,
          ]
        : [
            `Estate report INVALID: ${check.reportFile} is signed by ${check.publicKeyFile}, but what it embeds does not hold`,
            ...estateLines(check),
          ];
  return { exitCode: check.result === "valid" ? EXIT.ok : EXIT.problemFound, json: check, human };
}
