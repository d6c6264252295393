import type { Command } from "commander";
import { join } from "node:path";
import type { CommandContext, CommandResult, CommandRunner } from "../context.js";

export interface VerifyReportOptions {
  readonly publicKey?: string;
  readonly html?: string;
}

/** Exit 0 valid, 1 invalid (tampered or another key), 2 signature or report missing/unreadable. */
export async function runVerifyReportCommand(
  context: CommandContext,
  file: string,
  options: VerifyReportOptions,
): Promise<CommandResult> {
  const { checkSignedReport } = await import("../flows/audit-report-verify.js");
  const publicKeyFile =
    options.publicKey === undefined
      ? join(context.globals.stateDir, "audit-signing.pub")
      : context.resolvePath(options.publicKey);
  const check = await checkSignedReport(context.resolvePath(file), publicKeyFile);
  const { renderSignatureCheck } = await import("../render/verify-report.js");
  const result = renderSignatureCheck(check);
  if (options.html === undefined) return result;
  if (check.result !== "valid") {
    // An invalid report's content is not trusted: no rendering claims to be of a signed document.
    return { ...result, human: [...result.human, `  no HTML written: the signature does not hold`] };
  }
  const { readSignedReportForRendering } = await import("../flows/audit-report-render-file.js");
  const { atomicWriteFile } = await import("@connect-ops/credential-vault");
  const readBack = await readSignedReportForRendering(check.reportFile, check.publicKeyFile);
  const htmlFile = context.resolvePath(options.html);
  const source = { jsonFile: file, sha256: readBack.sha256, publicKeyPem: readBack.publicKeyPem };
  const html =
    readBack.kind === "estate"
      ? (await import("../flows/estate-report-html.js")).renderEstateHtml(readBack.estate, source)
      : (await import("../flows/audit-report-html.js")).renderReportHtml(readBack.report, source);
  await atomicWriteFile(htmlFile, Buffer.from(html), { mode: 0o644 });
  return {
    ...result,
    json: { ...check, htmlFile },
    human: [...result.human, `  html     ${htmlFile} (a rendering of ${file}, ${readBack.sha256})`],
  };
}

export function registerVerifyReport(program: Command, run: CommandRunner): void {
  program
    .command("verify-report")
    .argument("<file>", "a report written by verify-cleanup --report (its signature is FILE.sig)")
    .description(
      "check the Ed25519 signature of an audit report; exit 0 valid, 1 invalid, 2 missing signature or unreadable",
    )
    .option("--public-key <file>", "the signer's public key (default <state-dir>/audit-signing.pub)")
    .option(
      "--html <file>",
      "when the signature is valid, write a self-contained HTML rendering of the report (prints to PDF)",
    )
    .addHelpText(
      "after",
      "\nExample (as the auditor, with the public key received out of band):\n  connect-ops verify-report audit.json --public-key audit-signing.pub\n\nSame check with OpenSSL alone:\n  openssl pkeyutl -verify -pubin -inkey audit-signing.pub -rawin -in FILE -sigfile FILE.sig",
    )
    .action((file: string, options: VerifyReportOptions) =>
      run((context) => runVerifyReportCommand(context, file, options)),
    );
}
