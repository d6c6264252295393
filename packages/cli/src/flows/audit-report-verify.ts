import { usageError } from "../errors.js";
import { readArgumentFile } from "./argument-file.js";
import { verifyReportBytes, type SignatureCheck } from "./audit-report-sign.js";
import type { EstateCheck } from "./estate-report-verify.js";

export interface SignedReportCheck {
  readonly result: SignatureCheck;
  readonly reportFile: string;
  readonly signatureFile: string;
  readonly publicKeyFile: string;
  /** From the report, only when the signature is valid (an invalid report's content is not trusted). */
  readonly verdict?: string;
  readonly finishedAt?: string;
  /** For an estate report: the check of every embedded report (any invalid one makes the result invalid). */
  readonly estate?: EstateCheck;
}

async function readOrRefuse(path: string, what: string, hint: string): Promise<Buffer> {
  const kind = what === "the public key" ? "public-key" : "report";
  return await readArgumentFile({ path, given: path, kind, what, hint });
}

/** An estate report (issue 19) is checked further: every embedded report against the key the estate lists. */
async function estateCheckOf(document: { format?: unknown }): Promise<EstateCheck | undefined> {
  const { ESTATE_REPORT_FORMAT } = await import("./estate-report.js");
  if (document.format !== ESTATE_REPORT_FORMAT) return undefined;
  const { checkEstateReport } = await import("./estate-report-verify.js");
  return (
    checkEstateReport(document) ?? {
      embedded: [],
      verdictConsistent: false,
      valid: false,
    }
  );
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
  let document: unknown;
  try {
    document = JSON.parse(bytes.toString("utf8"));
  } catch {
    // Harmless: the signature is valid; a signed report that is not JSON just has no verdict to show.
    return base;
  }
  // JSON `null` or a bare value: validly signed, nothing more to show or check.
  if (typeof document !== "object" || document === null) return base;
  const parsed = document as { format?: unknown; verdict?: unknown; finishedAt?: unknown; createdAt?: unknown };
  const estate = await estateCheckOf(parsed);
  const finishedAt = parsed.finishedAt ?? parsed.createdAt;
  return {
    ...base,
    ...(estate === undefined ? {} : { estate, result: estate.valid ? "valid" : "invalid" }),
    ...(typeof parsed.verdict === "string" ? { verdict: parsed.verdict } : {}),
    ...(typeof finishedAt === "string" ? { finishedAt } : {}),
  };
}
