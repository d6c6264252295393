import * as z from "zod";

export const ESTATE_REPORT_FORMAT = "connect-ops/estate-report@1";

/** What the estate says of one appliance. Only `clean` counts towards an estate CLEAN. */
export type ApplianceVerdict = "clean" | "residue" | "inconclusive" | "absent" | "unverified";
export type EstateVerdict = "clean" | "residue" | "inconclusive";

/** The appliance's signed report, kept byte for byte so `verify-report` can check it again. */
export interface EmbeddedReport {
  /** The report's exact text (UTF-8 JSON, as verify-cleanup wrote and signed it). */
  readonly text: string;
  /** Its raw Ed25519 signature, base64. */
  readonly signature: string;
  readonly sha256: string;
}

export interface EstateApplianceEntry {
  readonly name: string;
  readonly expected: boolean;
  readonly verdict: ApplianceVerdict;
  /** Why it is not clean, in an operator's words (absent, signature invalid, its audit's gaps). */
  readonly reason?: string;
  readonly publicKeyFingerprint: string;
  /** The key the estate file lists: covered by the estate signature, so the embedded report is checked against it. */
  readonly publicKey: string;
  readonly reportFile?: string;
  readonly finishedAt?: string;
  readonly findings?: number;
  readonly gaps?: number;
  readonly embedded?: EmbeddedReport;
}

export interface EstateGap {
  readonly appliance: string;
  readonly reason: string;
}

export interface EstateReport {
  readonly format: typeof ESTATE_REPORT_FORMAT;
  readonly tool: { readonly name: "connect-ops"; readonly version: string };
  readonly estate: string;
  readonly createdAt: string;
  readonly verdict: EstateVerdict;
  readonly totals: {
    readonly appliances: number;
    readonly expected: number;
    readonly clean: number;
    readonly residue: number;
    readonly notClean: number;
  };
  /** Appliances with residue, by name: what the operator must clean up first. */
  readonly residue: readonly string[];
  readonly appliances: readonly EstateApplianceEntry[];
  /** Every expected appliance that is absent, unverified or inconclusive: each makes the estate inconclusive. */
  readonly gaps: readonly EstateGap[];
  /** `<name>.json` files in the reports dir that the estate file does not list: not merged. */
  readonly unlisted: readonly string[];
  readonly signer: { readonly publicKeyFingerprint: string };
}

/** The part of a cleanup report the estate reads once its signature is valid. */
export const cleanupReportSummarySchema = z.looseObject({
  format: z.string().startsWith("connect-ops/cleanup-report@"),
  verdict: z.enum(["clean", "residue", "inconclusive"]),
  finishedAt: z.string().optional(),
  findings: z.array(z.unknown()),
  gaps: z.array(z.unknown()),
});

/**
 * Residue anywhere wins (exit 1); otherwise any expected appliance that is not
 * clean (absent, unverified, inconclusive) leaves the estate inconclusive (exit 3).
 * CLEAN needs every expected appliance present, verified and clean.
 */
export function estateVerdictOf(
  appliances: ReadonlyArray<Pick<EstateApplianceEntry, "verdict" | "expected">>,
): EstateVerdict {
  if (appliances.some((appliance) => appliance.verdict === "residue")) return "residue";
  const counted = appliances.filter((appliance) => appliance.expected || appliance.verdict !== "absent");
  const allClean = counted.length > 0 && counted.every((appliance) => appliance.verdict === "clean");
  return allClean && appliances.some((appliance) => appliance.expected) ? "clean" : "inconclusive";
}

/** The exact bytes that are signed and written: pretty JSON with a final newline (like cleanup reports). */
export function estateReportBytes(report: EstateReport): Buffer {
  return Buffer.from(`${JSON.stringify(report, null, 2)}\n`);
}
