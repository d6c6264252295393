import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { CommandContext } from "../context.js";
import { usageError } from "../errors.js";
import { openAppliance } from "./appliance.js";
import { digestLines, reportBytes, verdictOf, type AuditReport, type AuditSubject } from "./audit-report.js";
import { renderReportMarkdown } from "./audit-report-markdown.js";
import { signReportBytes } from "./audit-report-sign.js";
import { checkDataDirs } from "./data-dirs.js";
import { readDisconnectJournal } from "./disconnect-journal.js";
import { loadResidueFingerprints } from "./fingerprints.js";
import { loadTopology } from "./inventory.js";
import { auditCloud, type LocationAudit } from "./verify-cleanup-cloud.js";
import { auditNodes } from "./verify-cleanup-nodes.js";
import { auditPrimary } from "./verify-cleanup-primary.js";
import { auditSnapshots } from "./verify-cleanup-snapshots.js";

export interface VerifyCleanupRequest {
  readonly inventory: string;
  readonly dataDirs: readonly string[];
  readonly reportFile?: string;
  readonly format: "json" | "md";
}

export interface VerifyCleanupOutcome {
  readonly report: AuditReport;
  /** Base64 of the raw Ed25519 signature over the report's exact bytes. */
  readonly signature: string;
  readonly publicKey: string;
  readonly reportFile?: string;
  readonly signatureFile?: string;
  readonly markdownFile?: string;
}

/** The CLI's version from its package.json, found upwards from this module (src/flows, dist/flows or a bundle chunk). */
async function toolVersion(): Promise<string> {
  for (const relative of ["../package.json", "../../package.json", "../../../package.json"]) {
    const text = await readFile(new URL(relative, import.meta.url), "utf8").catch(() => undefined);
    const pkg = text === undefined ? undefined : (JSON.parse(text) as { name?: string; version?: string });
    if (pkg?.name === "connect-ops" && pkg.version !== undefined) return pkg.version;
  }
  return "unknown";
}

/**
 * The independent audit (issue 6): asks the cloud, the primary, every node
 * and every snapshot afresh. From the journal it takes only the fingerprints
 * and the ids of the app to look for; it never takes its word that a step
 * was done. Writes the report (and `FILE.sig`) when asked.
 */
export async function verifyCleanup(context: CommandContext, request: VerifyCleanupRequest): Promise<VerifyCleanupOutcome> {
  const startedAt = new Date(context.io.now()).toISOString();
  const appliance = await openAppliance(context);
  const { STATE_FILES, atomicWriteFile } = await import("@connect-ops/credential-vault");
  const { createResidueMatcher } = await import("@connect-ops/connection-core");
  const signingKeyFile = join(appliance.state.stateDir, STATE_FILES.auditSigningKey);
  const [privateKeyPem, publicKey] = await Promise.all([
    readFile(signingKeyFile, "utf8"),
    readFile(join(appliance.state.stateDir, STATE_FILES.auditSigningPublicKey), "utf8"),
  ]).catch(() => {
    throw usageError(`the audit signing key is missing from ${appliance.state.stateDir}`, "it is created by `connect-ops init`; restore audit-signing.key and audit-signing.pub from the state dir's backup");
  });
  const topology = await loadTopology(context, { inventory: request.inventory });
  const dataDirs = await checkDataDirs(context, request.dataDirs);
  const fingerprints = await loadResidueFingerprints(context, {});
  const matcher = createResidueMatcher(fingerprints);
  const journal = await readDisconnectJournal(appliance.journalDir);
  const meta = await appliance.vault.readMeta().catch(() => undefined);
  const subject: AuditSubject = journal?.subject ?? (meta?.appSlug === undefined ? {} : { cloudUrl: meta.cloudUrl, appId: meta.appId, appSlug: meta.appSlug, installationId: meta.installationId, recordId: meta.recordId });

  const audits: LocationAudit[] = [
    await auditCloud(context, subject),
    await auditPrimary(appliance.state.stateDir, appliance.vault.dir, matcher),
    ...(await auditNodes(topology.all, topology.ssh, matcher)),
    ...(await auditSnapshots(dataDirs, matcher)),
  ];
  const findings = audits.flatMap((audit) => audit.findings);
  const gaps = audits.flatMap((audit) => audit.gaps);
  // Snapshots are parts of their data dir's scan: count the data dir once.
  const counted = audits.filter((audit) => audit.location.kind !== "snapshot");
  const report: AuditReport = {
    format: "connect-ops/cleanup-report@1",
    tool: { name: "connect-ops", version: await toolVersion() },
    startedAt,
    finishedAt: new Date(context.io.now()).toISOString(),
    verdict: verdictOf(findings, gaps),
    fingerprintSets: fingerprints.map((set) => set.id),
    subject,
    totals: {
      locations: audits.length,
      filesScanned: counted.reduce((sum, audit) => sum + audit.location.filesScanned, 0),
      bytesScanned: counted.reduce((sum, audit) => sum + audit.location.bytesScanned, 0),
      scannedDigest: digestLines(audits.map((audit) => `${audit.location.kind}\t${audit.location.name}\t${audit.location.scannedDigest}`)),
    },
    locations: audits.map((audit) => audit.location),
    findings,
    gaps,
  };
  const bytes = reportBytes(report);
  const signature = signReportBytes(bytes, privateKeyPem);
  const outcome: VerifyCleanupOutcome = { report, signature: signature.toString("base64"), publicKey };
  if (request.reportFile === undefined) return outcome;
  const reportFile = context.resolvePath(request.reportFile);
  await atomicWriteFile(reportFile, bytes, { mode: 0o644 });
  await atomicWriteFile(`${reportFile}.sig`, signature, { mode: 0o644 });
  let markdownFile: string | undefined;
  if (request.format === "md") {
    markdownFile = `${reportFile}.md`;
    await atomicWriteFile(markdownFile, Buffer.from(renderReportMarkdown(report, reportFile)), { mode: 0o644 });
  }
  return { ...outcome, reportFile, signatureFile: `${reportFile}.sig`, ...(markdownFile === undefined ? {} : { markdownFile }) };
}
