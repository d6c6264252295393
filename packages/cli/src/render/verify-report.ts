import type { CommandResult } from "../context.js";
import { EXIT } from "../exit-codes.js";
import type { SignedReportCheck } from "../flows/audit-report-verify.js";

/** The `verify-report` command's output: exit code, `--json` document and human lines (shared with the demo). */
export function renderSignatureCheck(check: SignedReportCheck): CommandResult {
  const human =
    check.result === "valid"
      ? [
          `Signature VALID: ${check.reportFile} was signed by ${check.publicKeyFile}`,
          ...(check.verdict === undefined ? [] : [`  verdict ${check.verdict}, finished ${check.finishedAt ?? "?"}`]),
        ]
      : [
          `Signature INVALID: ${check.reportFile} was changed after signing, or was signed by another key than ${check.publicKeyFile}`,
        ];
  return { exitCode: check.result === "valid" ? EXIT.ok : EXIT.problemFound, json: check, human };
}
