import type { CredentialVault } from "@connect-ops/credential-vault";
import type { FanOutOptions, NodeSpec, SshOptions } from "@connect-ops/replication";
import { digestLines, reportBytes, verdictOf, type AuditReport, type AuditSubject } from "../flows/audit-report.js";
import { renderReportMarkdown } from "../flows/audit-report-markdown.js";
import { signReportBytes } from "../flows/audit-report-sign.js";
import { loadResidueFingerprints } from "../flows/fingerprints.js";
import type { AuditSigningKey } from "./audit-signing-key.js";
import { readDisconnectJournal } from "./disconnect-journal.js";
import type { CloudClientFactory } from "./ports.js";
import { auditCloud, type LocationAudit } from "./verify-cleanup-cloud.js";
import { auditNodes } from "./verify-cleanup-nodes.js";
import { auditPrimary } from "./verify-cleanup-primary.js";
import { auditSnapshots } from "./verify-cleanup-snapshots.js";

/** What the audit reads (it changes nothing but the report files it is asked to write). */
export interface AuditPorts {
  /** The primary's state dir: its vault meta and disconnect journal give the fingerprints and the app to look for. */
  readonly stateDir: string;
  readonly vault: CredentialVault;
  readonly journalDir: string;
  readonly signingKey: AuditSigningKey;
  readonly cloud: CloudClientFactory;
  /** Whether the cloud client carries an admin token (without it the connection record is a gap). */
  readonly hasAdminToken: boolean;
  readonly nodes: readonly NodeSpec[];
  readonly ssh: SshOptions;
  /** Retries, timeouts and the clock of the node probes (default: one retry, replication defaults). */
  readonly fanOut?: FanOutOptions;
  readonly now: () => number;
  /** Written into the report's `tool`. */
  readonly toolVersion: string;
}

export interface AuditRequest {
  /** Backup data dirs, resolved and checked. */
  readonly dataDirs: readonly string[];
  /** Where to write the report (resolved); FILE.sig (and FILE.md with format md) beside it. */
  readonly reportFile?: string;
  readonly format: "json" | "md";
  /** Walk into other filesystems mounted inside the data dirs (default: each mount point is a gap). */
  readonly crossMounts?: boolean;
}

export interface AuditOutcome {
  readonly report: AuditReport;
  /** Base64 of the raw Ed25519 signature over the report's exact bytes. */
  readonly signature: string;
  readonly publicKey: string;
  readonly reportFile?: string;
  readonly signatureFile?: string;
  readonly markdownFile?: string;
}

/**
 * The independent audit (issue 6): asks the cloud, the primary, every node
 * and every snapshot afresh. From the journal it takes only the fingerprints
 * and the ids of the app to look for; it never takes its word that a step
 * was done. Writes the report (and `FILE.sig`) when asked.
 */
export async function auditCleanup(ports: AuditPorts, request: AuditRequest): Promise<AuditOutcome> {
  const startedAt = new Date(ports.now()).toISOString();
  const { atomicWriteFile } = await import("@connect-ops/credential-vault");
  const { createResidueMatcher } = await import("@connect-ops/connection-core");
  const fingerprints = await loadResidueFingerprints({ stateDir: ports.stateDir });
  const matcher = createResidueMatcher(fingerprints);
  const journal = await readDisconnectJournal(ports.journalDir);
  // Harmless for the verdict: a vault that is still there, readable or not, is residue in auditPrimary;
  // the meta only names the app to ask the cloud about when no disconnect journal does.
  const meta = await ports.vault.readMeta().catch(() => undefined);
  const subject: AuditSubject =
    journal?.subject ??
    (meta?.appSlug === undefined
      ? {}
      : {
          cloudUrl: meta.cloudUrl,
          appId: meta.appId,
          appSlug: meta.appSlug,
          installationId: meta.installationId,
          recordId: meta.recordId,
        });

  const audits: LocationAudit[] = [
    await auditCloud({ cloud: ports.cloud, hasAdminToken: ports.hasAdminToken }, subject),
    await auditPrimary(ports.stateDir, ports.vault.dir, matcher),
    ...(await auditNodes(ports.nodes, ports.ssh, matcher, ports.fanOut)),
    ...(await auditSnapshots(request.dataDirs, matcher, request.crossMounts === true)),
  ];
  const findings = audits.flatMap((audit) => audit.findings);
  const gaps = audits.flatMap((audit) => audit.gaps);
  // Snapshots are parts of their data dir's scan: count the data dir once.
  const counted = audits.filter((audit) => audit.location.kind !== "snapshot");
  const report: AuditReport = {
    format: "connect-ops/cleanup-report@1",
    tool: { name: "connect-ops", version: ports.toolVersion },
    startedAt,
    finishedAt: new Date(ports.now()).toISOString(),
    verdict: verdictOf(findings, gaps),
    fingerprintSets: fingerprints.map((set) => set.id),
    subject,
    totals: {
      locations: audits.length,
      filesScanned: counted.reduce((sum, audit) => sum + audit.location.filesScanned, 0),
      bytesScanned: counted.reduce((sum, audit) => sum + audit.location.bytesScanned, 0),
      scannedDigest: digestLines(
        audits.map((audit) => `${audit.location.kind}\t${audit.location.name}\t${audit.location.scannedDigest}`),
      ),
    },
    locations: audits.map((audit) => audit.location),
    findings,
    gaps,
  };
  const bytes = reportBytes(report);
  const signature = signReportBytes(bytes, ports.signingKey.privateKeyPem);
  const outcome: AuditOutcome = {
    report,
    signature: signature.toString("base64"),
    publicKey: ports.signingKey.publicKey,
  };
  if (request.reportFile === undefined) return outcome;
  const reportFile = request.reportFile;
  await atomicWriteFile(reportFile, bytes, { mode: 0o644 });
  await atomicWriteFile(`${reportFile}.sig`, signature, { mode: 0o644 });
  let markdownFile: string | undefined;
  if (request.format === "md") {
    markdownFile = `${reportFile}.md`;
    await atomicWriteFile(markdownFile, Buffer.from(renderReportMarkdown(report, reportFile)), { mode: 0o644 });
  }
  return {
    ...outcome,
    reportFile,
    signatureFile: `${reportFile}.sig`,
    ...(markdownFile === undefined ? {} : { markdownFile }),
  };
}
