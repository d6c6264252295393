import { usageError } from "../errors.js";
import { readArgumentFile } from "./argument-file.js";
import { verifyReportBytes, type SignatureCheck } from "./audit-report-sign.js";

export interface SignedReportCheck {
  readonly result: SignatureCheck;
  readonly reportFile: string;
  readonly signatureFile: string;
  readonly publicKeyFile: string;
  /** From the report, only when the signature is valid (an invalid report's content is not trusted). */
  readonly verdict?: string;
  readonly finishedAt?: string;
}

async function readOrRefuse(path: string, what: string, hint: string): Promise<Buffer> {
  const kind = what === "the public key" ? "public-key" : "report";
  return await readArgumentFile({ path, given: path, kind, what, hint });
}

/**
 * Verifies `FILE.sig` over the exact bytes of `FILE` with the Ed25519 public
 * key (the command's default: `<state>/audit-signing.pub`); both paths resolved. Missing or unreadable files are
 * usage errors (exit 2); a wrong signature is a result (`invalid`, exit 1).
 */
export async function checkSignedReport(reportFile: string, publicKeyFile: string): Promise<SignedReportCheck> {
  const signatureFile = `${reportFile}.sig`;
  const bytes = await readOrRefuse(
    reportFile,
    "the report",
    "pass the JSON report written by `connect-ops verify-cleanup --report FILE`",
  );
  const signature = await readOrRefuse(
    signatureFile,
    "the signature",
    "the signature is written next to the report as FILE.sig; a report without it cannot be trusted",
  );
  const publicKey = await readOrRefuse(
    publicKeyFile,
    "the public key",
    "pass --public-key audit-signing.pub (from the appliance's state dir)",
  );
  let result: SignatureCheck;
  try {
    result = verifyReportBytes(bytes, signature, publicKey.toString("utf8"));
  } catch (error) {
    // The report and signature are plain bytes here: what the verifier refuses is the key.
    throw usageError(
      `${publicKeyFile} is not a PEM public key`,
      "pass the audit-signing.pub written by `connect-ops init`",
      error,
    );
  }
  const base = { result, reportFile, signatureFile, publicKeyFile };
  if (result !== "valid") return base;
  try {
    const parsed = JSON.parse(bytes.toString("utf8")) as { verdict?: unknown; finishedAt?: unknown };
    return {
      ...base,
      ...(typeof parsed.verdict === "string" ? { verdict: parsed.verdict } : {}),
      ...(typeof parsed.finishedAt === "string" ? { finishedAt: parsed.finishedAt } : {}),
    };
  } catch {
    // Harmless: the signature is valid; a signed report that is not JSON just has no verdict to show.
    return base;
  }
}
