import { createHash } from "node:crypto";
import { usageError } from "../errors.js";
import { readArgumentFile } from "./argument-file.js";
import type { AuditReport } from "./audit-report.js";
import { ESTATE_REPORT_FORMAT, type EstateReport } from "./estate-report.js";

/** A signed report read back for rendering (verify-report --html): its bytes' SHA-256 and the parsed report. */
export type ReadBackReport = {
  readonly sha256: string;
  readonly publicKeyPem: string;
} & (
  | { readonly kind: "cleanup"; readonly report: AuditReport }
  | { readonly kind: "estate"; readonly estate: EstateReport }
);

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null;

/**
 * Reads the report and public key of a signature already checked valid and gives the report
 * in the renderer's shape: `@1` reports (no layer counts, no notChecked) get empty ones.
 * A signed file that is not a cleanup report is a usage error (exit 2): nothing is written.
 */
export async function readSignedReportForRendering(reportFile: string, publicKeyFile: string): Promise<ReadBackReport> {
  const bytes = await readArgumentFile({
    path: reportFile,
    given: reportFile,
    kind: "report",
    what: "the report",
    hint: "pass the JSON report written by `connect-ops verify-cleanup --report FILE`",
  });
  const publicKeyPem = (
    await readArgumentFile({
      path: publicKeyFile,
      given: publicKeyFile,
      kind: "public-key",
      what: "the public key",
      hint: "pass --public-key audit-signing.pub (from the appliance's state dir)",
    })
  ).toString("utf8");
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString("utf8"));
  } catch {
    parsed = undefined;
  }
  const sha256 = `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
  // An estate report's signature and every embedded report were checked by the caller (checkSignedReport).
  if (isObject(parsed) && parsed.format === ESTATE_REPORT_FORMAT)
    return { kind: "estate", estate: parsed as unknown as EstateReport, sha256, publicKeyPem };
  const report = renderableReport(parsed);
  if (report === undefined) {
    throw usageError(
      `${reportFile} is signed but is not a connect-ops cleanup report`,
      "--html renders reports written by `connect-ops verify-cleanup --report FILE` or `connect-ops estate report`",
    );
  }
  return { kind: "cleanup", report, sha256, publicKeyPem };
}

/**
 * A parsed cleanup report in the renderer's shape, or undefined when it is not one: `@1` reports
 * (no layer counts, no notChecked) get empty ones. Used for a report read back and for the reports
 * an estate report embeds.
 */
export function renderableReport(parsed: unknown): AuditReport | undefined {
  const shaped =
    isObject(parsed) &&
    typeof parsed.format === "string" &&
    parsed.format.startsWith("connect-ops/cleanup-report@") &&
    typeof parsed.verdict === "string" &&
    isObject(parsed.subject) &&
    isObject(parsed.totals) &&
    isObject(parsed.topology) &&
    isObject(parsed.tool) &&
    Array.isArray(parsed.locations) &&
    Array.isArray(parsed.findings) &&
    Array.isArray(parsed.gaps);
  if (!shaped) return undefined;
  // @1 reports (no layer counts, no notChecked) get empty ones: the renderer's shape.
  const raw = parsed as Omit<AuditReport, "notChecked" | "locations"> & {
    notChecked?: AuditReport["notChecked"];
    locations: Array<
      Omit<AuditReport["locations"][number], "layersDecoded"> & { layersDecoded?: Record<string, number> }
    >;
  };
  return {
    ...raw,
    notChecked: raw.notChecked ?? [],
    locations: raw.locations.map((location) => ({ ...location, layersDecoded: location.layersDecoded ?? {} })),
  };
}
