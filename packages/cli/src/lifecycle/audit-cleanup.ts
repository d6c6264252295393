import type { CredentialVault } from "@connect-ops/credential-vault";
import type { FanOutOptions, NodeSpec, SshOptions } from "@connect-ops/replication";
import { createHash } from "node:crypto";
import {
  digestLines,
  REPORT_FORMAT,
  reportBytes,
  verdictOf,
  type AuditReport,
  type AuditSubject,
  type NotChecked,
  recordFacts,
} from "../flows/audit-report.js";
import { renderReportMarkdown } from "../flows/audit-report-markdown.js";
import { signReportBytes } from "../flows/audit-report-sign.js";
import { loadFingerprintSources } from "../flows/fingerprints.js";
import type { AuditSigningKey } from "./audit-signing-key.js";
import { auditScope } from "./audit-scope.js";
import { readDisconnectJournal } from "./disconnect-journal.js";
import type { CloudClientFactory } from "./ports.js";
import { auditCloud, type LocationAudit } from "./verify-cleanup-cloud.js";
import { auditNodes } from "./verify-cleanup-nodes.js";
import { auditPrimary, primaryNotAudited } from "./verify-cleanup-primary.js";
import { auditSnapshots } from "./verify-cleanup-snapshots.js";
import { applyShredEvidence, type UnreachableCopies } from "./verify-cleanup-shred-apply.js";

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
  /** The nodes given (`--inventory`); none for a standalone appliance. Recorded nodes are added from the journal. */
  readonly nodes: readonly NodeSpec[];
  /** Where `nodes` came from, as typed (`--inventory FILE`); undefined when none was given. */
  readonly nodeSource?: string;
  readonly ssh: SshOptions;
  /** Retries, timeouts and the clock of the node probes (default: one retry, replication defaults). */
  readonly fanOut?: FanOutOptions;
  readonly now: () => number;
  /** Written into the report's `tool`. */
  readonly toolVersion: string;
  /** The OS user and host running the audit, written into the report. */
  readonly ranBy: { readonly user: string; readonly host: string };
}

export interface AuditRequest {
  /** Backup data dirs, resolved and checked. */
  readonly dataDirs: readonly string[];
  /** Where to write the report (resolved); FILE.sig (and FILE.md with format md) beside it. */
  readonly reportFile?: string;
  readonly format: "json" | "md";
  /** Also write the self-contained HTML rendering here (needs reportFile). */
  readonly htmlFile?: string;
  /** Walk into other filesystems mounted inside the data dirs (default: each mount point is a gap). */
  readonly crossMounts?: boolean;
  /** `--fingerprints FILE` as typed (resolved against `cwd`): an audit off the appliance. */
  readonly fingerprintsFile?: string;
  readonly cwd?: string;
  /** `--unreachable-copies FILE`: copies covered by the shred attestation alone. */
  readonly unreachableCopies?: UnreachableCopies;
}

export interface AuditOutcome {
  readonly report: AuditReport;
  /** Base64 of the raw Ed25519 signature over the report's exact bytes. */
  readonly signature: string;
  readonly publicKey: string;
  readonly reportFile?: string;
  readonly signatureFile?: string;
  readonly markdownFile?: string;
  readonly htmlFile?: string;
  /** `sha256:<hex>` of the exact signed JSON bytes (the Markdown rendering names it). */
  readonly reportSha256: string;
}

/**
 * The independent audit (issue 6): asks the cloud, the primary, every node
 * and every snapshot afresh. It covers the union of what the command line
 * gave and what the disconnect journal recorded (issue 13.6); from the
 * journal it takes the fingerprints, the app to look for and the locations,
 * never its word that a step was done. Writes the report (and `FILE.sig`) when asked.
 */
export async function auditCleanup(ports: AuditPorts, request: AuditRequest): Promise<AuditOutcome> {
  const startedAt = new Date(ports.now()).toISOString();
  const { atomicWriteFile } = await import("@connect-ops/credential-vault");
  const { createResidueMatcher } = await import("@connect-ops/connection-core");
  const { DETECTION_METHOD, KNOWN_LIMITS } = await import("@connect-ops/backup-hooks");
  const loaded = await loadFingerprintSources({
    stateDir: ports.stateDir,
    fingerprintsFile: request.fingerprintsFile,
    ...(request.cwd === undefined ? {} : { cwd: request.cwd }),
  });
  const fingerprints = loaded.sets;
  const matcher = createResidueMatcher(fingerprints);
  const journal = await readDisconnectJournal(ports.journalDir);
  // Harmless for the verdict: a vault that is still there, readable or not, is residue in auditPrimary;
  // the meta only names the app to ask the cloud about when no disconnect journal does.
  const meta = await ports.vault.readMeta().catch(() => undefined);
  const subject: AuditSubject =
    journal?.subject ??
    (meta?.appSlug === undefined
      ? (loaded.fileSubject ?? {})
      : {
          cloudUrl: meta.cloudUrl,
          appId: meta.appId,
          appSlug: meta.appSlug,
          installationId: meta.installationId,
          recordId: meta.recordId,
          keyFingerprint: meta.keyFingerprint,
          ...recordFacts(meta.record),
        });
  const scope = auditScope(journal, {
    ...(ports.nodeSource === undefined ? {} : { source: ports.nodeSource }),
    nodes: ports.nodes,
    dataDirs: request.dataDirs,
  });
  const offAppliance = loaded.fromStateDir === 0 && request.fingerprintsFile !== undefined;
  // Off the appliance the audit holds no identity: an age file is a known copy by its ledger hash, or a gap.
  const { loadAgeAudit } = await import("./audit-age.js");
  const age = await loadAgeAudit(ports.stateDir, {
    identities: !offAppliance,
    knownCopies: loaded.fileSealedCopies,
  });

  const scanned: LocationAudit[] = [
    await auditCloud(
      { cloud: ports.cloud, hasAdminToken: ports.hasAdminToken },
      subject,
      journal?.subject === undefined ? undefined : journal.cloud,
    ),
    offAppliance
      ? primaryNotAudited(ports.stateDir, request.fingerprintsFile ?? "")
      : await auditPrimary(ports.stateDir, ports.vault.dir, matcher, age),
    ...(await auditNodes(scope.nodes, ports.ssh, matcher, ports.fanOut, age)),
    ...(await auditSnapshots(scope.dataDirs, matcher, request.crossMounts === true, scope.recordedSnapshots, age)),
  ];
  const shred = await applyShredEvidence(scanned, {
    stateDir: ports.stateDir,
    publicKey: ports.signingKey.publicKey,
    ...(request.unreachableCopies === undefined ? {} : { unreachable: request.unreachableCopies }),
  });
  const audits = shred.audits;
  const proofs = [journal?.cloud.proofs?.appKey, journal?.cloud.proofs?.token].filter((proof) => proof !== undefined);
  const findings = audits.flatMap((audit) => audit.findings);
  const gaps = [...scope.gaps, ...shred.gaps, ...audits.flatMap((audit) => audit.gaps)];
  // Snapshots are parts of their data dir's scan: count the data dir once.
  const counted = audits.filter((audit) => audit.location.kind !== "snapshot");
  const notChecked: NotChecked[] = [
    ...gaps.map((gap): NotChecked => ({ kind: "gap", ...gap })),
    ...KNOWN_LIMITS.map((reason): NotChecked => ({ kind: "limit", reason })),
  ];
  const report: AuditReport = {
    format: REPORT_FORMAT,
    tool: { name: "connect-ops", version: ports.toolVersion },
    detectionMethod: DETECTION_METHOD,
    startedAt,
    finishedAt: new Date(ports.now()).toISOString(),
    verdict: verdictOf(findings, gaps),
    fingerprintSets: fingerprints.map((set) => set.id),
    fingerprintSource:
      request.fingerprintsFile === undefined
        ? `state dir ${ports.stateDir}`
        : `${loaded.fromStateDir > 0 ? `state dir ${ports.stateDir} and ` : ""}file ${request.fingerprintsFile}`,
    subject,
    topology: scope.topology,
    totals: {
      locations: audits.length,
      filesScanned: counted.reduce((sum, audit) => sum + audit.location.filesScanned, 0),
      bytesScanned: counted.reduce((sum, audit) => sum + audit.location.bytesScanned, 0),
      scannedDigest: digestLines(
        audits.map((audit) => `${audit.location.kind}\t${audit.location.name}\t${audit.location.scannedDigest}`),
      ),
    },
    locations: audits.map((audit) => ({ ...audit.location, layersDecoded: audit.location.layersDecoded ?? {} })),
    findings,
    gaps,
    notChecked,
    ...(shred.shred === undefined ? {} : { shred: shred.shred }),
    ranBy: ports.ranBy,
    ...(proofs.length === 0 ? {} : { disconnectProofs: proofs }),
  };
  const bytes = reportBytes(report);
  const reportSha256 = `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
  const signature = signReportBytes(bytes, ports.signingKey.privateKeyPem);
  const outcome: AuditOutcome = {
    report,
    signature: signature.toString("base64"),
    publicKey: ports.signingKey.publicKey,
    reportSha256,
  };
  if (request.reportFile === undefined) return outcome;
  const reportFile = request.reportFile;
  await atomicWriteFile(reportFile, bytes, { mode: 0o644 });
  await atomicWriteFile(`${reportFile}.sig`, signature, { mode: 0o644 });
  let markdownFile: string | undefined;
  if (request.format === "md") {
    markdownFile = `${reportFile}.md`;
    const markdown = renderReportMarkdown(report, { jsonFile: reportFile, sha256: reportSha256 });
    await atomicWriteFile(markdownFile, Buffer.from(markdown), { mode: 0o644 });
  }
  if (request.htmlFile !== undefined) {
    const { renderReportHtml } = await import("../flows/audit-report-html.js");
    const html = renderReportHtml(report, {
      jsonFile: reportFile,
      sha256: reportSha256,
      publicKeyPem: ports.signingKey.publicKey,
    });
    await atomicWriteFile(request.htmlFile, Buffer.from(html), { mode: 0o644 });
  }
  return {
    ...outcome,
    reportFile,
    signatureFile: `${reportFile}.sig`,
    ...(markdownFile === undefined ? {} : { markdownFile }),
    ...(request.htmlFile === undefined ? {} : { htmlFile: request.htmlFile }),
  };
}
