import { createHash } from "node:crypto";
import * as z from "zod";
import { verifyReportBytes } from "./audit-report-sign.js";
import { cleanupReportSummarySchema, estateVerdictOf } from "./estate-report.js";

/** The check of one appliance's report inside an estate report. */
export interface EmbeddedCheck {
  readonly appliance: string;
  readonly verdict: string;
  /** `none`: the estate lists the appliance without a report (absent, unverified): nothing to check. */
  readonly result: "valid" | "invalid" | "none";
  readonly reason?: string;
}

export interface EstateCheck {
  readonly embedded: readonly EmbeddedCheck[];
  /** Whether the estate verdict is what its appliances' verdicts give. */
  readonly verdictConsistent: boolean;
  readonly valid: boolean;
}

const entrySchema = z.looseObject({
  name: z.string(),
  expected: z.boolean(),
  verdict: z.enum(["clean", "residue", "inconclusive", "absent", "unverified"]),
  publicKey: z.string(),
  embedded: z.strictObject({ text: z.string(), signature: z.string(), sha256: z.string() }).optional(),
});
const estateSchema = z.looseObject({
  verdict: z.enum(["clean", "residue", "inconclusive"]),
  appliances: z.array(entrySchema),
});

function checkEntry(entry: z.infer<typeof entrySchema>): EmbeddedCheck {
  const base = { appliance: entry.name, verdict: entry.verdict };
  const merged = entry.verdict === "clean" || entry.verdict === "residue" || entry.verdict === "inconclusive";
  if (entry.embedded === undefined)
    return merged
      ? { ...base, result: "invalid", reason: "a merged verdict without its report" }
      : { ...base, result: "none" };
  const bytes = Buffer.from(entry.embedded.text, "utf8");
  const digest = `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
  if (digest !== entry.embedded.sha256) return { ...base, result: "invalid", reason: "its SHA-256 does not match" };
  let signatureCheck: string;
  try {
    signatureCheck = verifyReportBytes(bytes, Buffer.from(entry.embedded.signature, "base64"), entry.publicKey);
  } catch {
    return { ...base, result: "invalid", reason: "its listed public key is not a PEM public key" };
  }
  if (signatureCheck !== "valid")
    return { ...base, result: "invalid", reason: "its signature does not verify with the listed key" };
  let summary;
  try {
    summary = cleanupReportSummarySchema.safeParse(JSON.parse(entry.embedded.text));
  } catch {
    summary = undefined;
  }
  if (summary?.success !== true) return { ...base, result: "invalid", reason: "it is not a cleanup report" };
  if (summary.data.verdict !== entry.verdict)
    return { ...base, result: "invalid", reason: `it says ${summary.data.verdict}, the estate says ${entry.verdict}` };
  return { ...base, result: "valid" };
}

/**
 * Checks an estate report whose own signature is valid: every embedded report
 * against the key the estate lists for it (the estate's signature covers the
 * key), its digest, and that the verdicts agree; and the estate verdict against
 * its appliances. Returns `undefined` when the document is no estate report.
 */
export function checkEstateReport(document: unknown): EstateCheck | undefined {
  const parsed = estateSchema.safeParse(document);
  if (!parsed.success) return undefined;
  const embedded = parsed.data.appliances.map(checkEntry);
  const verdictConsistent = estateVerdictOf(parsed.data.appliances) === parsed.data.verdict;
  return {
    embedded,
    verdictConsistent,
    valid: verdictConsistent && embedded.every((check) => check.result !== "invalid"),
  };
}
