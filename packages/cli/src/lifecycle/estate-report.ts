import { errnoCode, isConnectOpsError, readInputFile } from "@connect-ops/connection-core";
import { atomicWriteFile } from "@connect-ops/credential-vault";
import { createHash } from "node:crypto";
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { signReportBytes, verifyReportBytes } from "../flows/audit-report-sign.js";
import type { Estate, EstateAppliance } from "../flows/estate-file.js";
import {
  ESTATE_REPORT_FORMAT,
  cleanupReportSummarySchema,
  estateReportBytes,
  estateVerdictOf,
  type EstateApplianceEntry,
  type EstateGap,
  type EstateReport,
} from "../flows/estate-report.js";

export interface EstateReportPorts {
  readonly now: () => number;
  readonly toolVersion: string;
  /** The Ed25519 key the estate report is signed with, and its public key's fingerprint. */
  readonly signingKey: {
    readonly privateKeyPem: string;
    readonly publicKeyPem: string;
    readonly publicKeyFingerprint: string;
  };
}

export interface EstateReportRequest {
  readonly estate: Estate;
  readonly reportsDir: string;
  readonly outFile: string;
  /** Also write the HTML rendering of the signed estate report here (`--html FILE`). */
  readonly htmlFile?: string;
}

export interface EstateReportOutcome {
  readonly report: EstateReport;
  readonly reportFile: string;
  readonly signatureFile: string;
  readonly reportSha256: string;
  readonly htmlFile?: string;
}

const sha256 = (bytes: Uint8Array): string => `sha256:${createHash("sha256").update(bytes).digest("hex")}`;

type ReadResult = { readonly bytes: Buffer } | { readonly missing: true } | { readonly failure: string };

/** A file of the reports dir: missing is a result, anything else that stops the read is a failure to name. */
async function readReportFile(path: string, kind: "report" | "public-key"): Promise<ReadResult> {
  try {
    return { bytes: await readInputFile(path, { kind }) };
  } catch (error) {
    if (isConnectOpsError(error)) {
      const errno = error.context.errno;
      if (errno === "ENOENT") return { missing: true };
      return { failure: typeof errno === "string" ? `${error.code} ${errno}` : error.code };
    }
    return { failure: errnoCode(error) ?? "unreadable" };
  }
}

/** One appliance's entry: its report found, its signature checked against the estate's key, its verdict read. */
async function mergeAppliance(appliance: EstateAppliance, reportsDir: string): Promise<EstateApplianceEntry> {
  const reportFile = join(reportsDir, `${appliance.name}.json`);
  const base = {
    name: appliance.name,
    expected: appliance.expected,
    publicKeyFingerprint: appliance.publicKeyFingerprint,
    publicKey: appliance.publicKey,
  };
  const report = await readReportFile(reportFile, "report");
  if ("missing" in report) return { ...base, verdict: "absent", reason: `no report ${appliance.name}.json` };
  if ("failure" in report)
    return { ...base, verdict: "unverified", reportFile, reason: `the report cannot be read (${report.failure})` };
  // The signature is 64 bytes; the public-key cap (64 KiB) bounds the read far above it.
  const signature = await readReportFile(`${reportFile}.sig`, "public-key");
  if (!("bytes" in signature))
    return {
      ...base,
      verdict: "unverified",
      reportFile,
      reason:
        "missing" in signature ? "no signature (FILE.sig)" : `the signature cannot be read (${signature.failure})`,
    };
  if (verifyReportBytes(report.bytes, signature.bytes, appliance.publicKey) !== "valid")
    return {
      ...base,
      verdict: "unverified",
      reportFile,
      reason: `the signature does not verify with the listed key ${appliance.publicKeyFingerprint}: changed after signing, or signed by another key`,
    };
  let summary;
  try {
    summary = cleanupReportSummarySchema.safeParse(JSON.parse(report.bytes.toString("utf8")));
  } catch {
    summary = undefined;
  }
  if (summary?.success !== true)
    return { ...base, verdict: "unverified", reportFile, reason: "a validly signed file that is not a cleanup report" };
  const { verdict, finishedAt, findings, gaps } = summary.data;
  return {
    ...base,
    verdict,
    reportFile,
    ...(finishedAt === undefined ? {} : { finishedAt }),
    findings: findings.length,
    gaps: gaps.length,
    ...(verdict === "inconclusive" ? { reason: `its audit could not check ${gaps.length} place(s)` } : {}),
    ...(verdict === "residue" ? { reason: `${findings.length} finding(s) of the credentials` } : {}),
    embedded: {
      text: report.bytes.toString("utf8"),
      signature: signature.bytes.toString("base64"),
      sha256: sha256(report.bytes),
    },
  };
}

async function unlistedReports(reportsDir: string, listed: ReadonlySet<string>): Promise<string[]> {
  const names = await readdir(reportsDir);
  return names.filter((name) => name.endsWith(".json") && !listed.has(name.slice(0, -".json".length))).sort();
}

/**
 * Merges the appliances' signed cleanup reports (`<reportsDir>/<name>.json` and
 * `.json.sig`) into one estate report, signs it like a cleanup report and writes
 * `outFile` and `outFile.sig` atomically. A report whose signature does not
 * verify with the key the estate file lists is `unverified`, never merged as
 * clean; an expected appliance without a report is `absent`: both are gaps.
 */
export async function buildEstateReport(
  ports: EstateReportPorts,
  request: EstateReportRequest,
): Promise<EstateReportOutcome> {
  const appliances: EstateApplianceEntry[] = [];
  for (const appliance of request.estate.appliances)
    appliances.push(await mergeAppliance(appliance, request.reportsDir));
  const gaps: EstateGap[] = appliances
    .filter((entry) => entry.verdict !== "clean" && entry.verdict !== "residue")
    .filter((entry) => entry.expected || entry.verdict !== "absent")
    .map((entry) => ({ appliance: entry.name, reason: `${entry.verdict}: ${entry.reason ?? "not clean"}` }));
  const residue = appliances.filter((entry) => entry.verdict === "residue").map((entry) => entry.name);
  const report: EstateReport = {
    format: ESTATE_REPORT_FORMAT,
    tool: { name: "connect-ops", version: ports.toolVersion },
    estate: request.estate.estate,
    createdAt: new Date(ports.now()).toISOString(),
    verdict: estateVerdictOf(appliances),
    totals: {
      appliances: appliances.length,
      expected: appliances.filter((entry) => entry.expected).length,
      clean: appliances.filter((entry) => entry.verdict === "clean").length,
      residue: residue.length,
      notClean: appliances.filter((entry) => entry.verdict !== "clean").length,
    },
    residue,
    appliances,
    gaps,
    unlisted: await unlistedReports(request.reportsDir, new Set(appliances.map((entry) => entry.name))),
    signer: { publicKeyFingerprint: ports.signingKey.publicKeyFingerprint },
  };
  const bytes = estateReportBytes(report);
  const signature = signReportBytes(bytes, ports.signingKey.privateKeyPem);
  await atomicWriteFile(request.outFile, bytes, { mode: 0o644 });
  await atomicWriteFile(`${request.outFile}.sig`, signature, { mode: 0o644 });
  const reportSha256 = sha256(bytes);
  if (request.htmlFile !== undefined) {
    const { renderEstateHtml } = await import("../flows/estate-report-html.js");
    const html = renderEstateHtml(report, {
      jsonFile: request.outFile,
      sha256: reportSha256,
      publicKeyPem: ports.signingKey.publicKeyPem,
    });
    await atomicWriteFile(request.htmlFile, Buffer.from(html), { mode: 0o644 });
  }
  return {
    report,
    reportFile: request.outFile,
    signatureFile: `${request.outFile}.sig`,
    reportSha256,
    ...(request.htmlFile === undefined ? {} : { htmlFile: request.htmlFile }),
  };
}
