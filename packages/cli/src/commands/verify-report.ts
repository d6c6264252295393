import type { Command } from "commander";
import type { CommandContext, CommandResult, CommandRunner } from "../context.js";
import { EXIT } from "../exit-codes.js";

export interface VerifyReportOptions {
  readonly publicKey?: string;
}

/** Exit 0 valid, 1 invalid (tampered or another key), 2 signature or report missing/unreadable. */
export async function runVerifyReportCommand(context: CommandContext, file: string, options: VerifyReportOptions): Promise<CommandResult> {
  const { checkSignedReport } = await import("../flows/audit-report-verify.js");
  const check = await checkSignedReport(context, file, options.publicKey);
  const human =
    check.result === "valid"
      ? [`Signature VALID: ${check.reportFile} was signed by ${check.publicKeyFile}`, ...(check.verdict === undefined ? [] : [`  verdict ${check.verdict}, finished ${check.finishedAt ?? "?"}`])]
      : [`Signature INVALID: ${check.reportFile} was changed after signing, or was signed by another key than ${check.publicKeyFile}`];
  return { exitCode: check.result === "valid" ? EXIT.ok : EXIT.problemFound, json: check, human };
}

export function registerVerifyReport(program: Command, run: CommandRunner): void {
  program
    .command("verify-report")
    .argument("<file>", "a report written by verify-cleanup --report (its signature is FILE.sig)")
    .description("check the Ed25519 signature of an audit report; exit 0 valid, 1 invalid, 2 missing signature or unreadable")
    .option("--public-key <file>", "the signer's public key (default <state-dir>/audit-signing.pub)")
    .addHelpText("after", "\nExample (as the auditor, with the public key received out of band):\n  connect-ops verify-report audit.json --public-key audit-signing.pub\n\nSame check with OpenSSL alone:\n  openssl pkeyutl -verify -pubin -inkey audit-signing.pub -rawin -in FILE -sigfile FILE.sig")
    .action((file: string, options: VerifyReportOptions) => run((context) => runVerifyReportCommand(context, file, options)));
}
