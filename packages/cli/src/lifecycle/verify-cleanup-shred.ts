import type { SealedCopyEntry } from "@connect-ops/credential-vault";
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { locationResult, type AuditFinding, type AuditGap } from "../flows/audit-report.js";
import { verifyReportBytes } from "../flows/audit-report-sign.js";
import type { ShredAttestation } from "./shred.js";
import type { LocationAudit } from "./verify-cleanup-cloud.js";

/** A sealed copy every recipient of which was destroyed: reported, but not residue. */
export interface ShreddedCopy {
  readonly location: string;
  /** Where it was met, or the line of `--unreachable-copies` that named it. */
  readonly path: string;
  readonly sha256: string;
  readonly recipients: readonly string[];
  /** `audited` (the audit read it), `attestation` (unreachable: covered by the attestation and the ledger alone). */
  readonly coveredBy: "audited" | "attestation";
}

/** The attestation a shred left, as the audit checked it. */
export interface ShredEvidence {
  readonly file: string;
  readonly sha256: string;
  readonly signature: "valid" | "invalid";
  readonly destroyed: readonly string[];
  readonly finishedAt: string;
}

/** The attestation in the state dir and its signature checked with the audit public key; undefined when no shred ran. */
export async function loadShredEvidence(stateDir: string, publicKeyPem: string): Promise<ShredEvidence | undefined> {
  const { STATE_FILES } = await import("@connect-ops/credential-vault");
  const { ignoreMissing } = await import("@connect-ops/connection-core");
  const file = join(stateDir, STATE_FILES.shredAttestation);
  const bytes = await ignoreMissing(readFile(file));
  if (bytes === undefined) return undefined;
  const signature = (await ignoreMissing(readFile(`${file}.sig`))) ?? Buffer.alloc(0);
  const check = verifyReportBytes(bytes, signature, publicKeyPem);
  let attestation: ShredAttestation | undefined;
  try {
    attestation = JSON.parse(bytes.toString("utf8")) as ShredAttestation;
  } catch (error) {
    if (!(error instanceof SyntaxError)) throw error;
  }
  // A valid signature means this tool wrote it (the signing key never leaves the state dir): its shape is ours.
  const destroyed =
    check === "valid" && attestation !== undefined
      ? attestation.destroyed.filter((target) => target.state === "destroyed").map((target) => target.recipient)
      : [];
  return {
    file,
    sha256: `sha256:${createHash("sha256").update(bytes).digest("hex")}`,
    signature: check,
    destroyed,
    finishedAt: typeof attestation?.finishedAt === "string" ? attestation.finishedAt : "",
  };
}

const sha256Of = async (path: string): Promise<string | undefined> =>
  readFile(path).then(
    (bytes) => createHash("sha256").update(bytes).digest("hex"),
    () => undefined,
  );

/**
 * Splits the sealed-copy findings: a copy whose recorded recipients (the
 * ledger's by SHA-256, else its manifest's) were all destroyed is `shredded`;
 * any other stays residue and names the recipients that still open it.
 * Each location's result and residue check are recomputed from what is left.
 */
export async function classifySealedCopies(
  audits: readonly LocationAudit[],
  ledger: readonly SealedCopyEntry[],
  destroyed: readonly string[],
): Promise<{ audits: LocationAudit[]; shredded: ShreddedCopy[] }> {
  const gone = new Set(destroyed);
  const shredded: ShreddedCopy[] = [];
  const classified: LocationAudit[] = [];
  for (const audit of audits) {
    const kept: AuditFinding[] = [];
    for (const finding of audit.findings) {
      if (finding.form !== "sealed-copy") {
        kept.push(finding);
        continue;
      }
      // An age file met inside an archive or under another name carries its own hash; a top-level copy is hashed here.
      const sha256 = finding.sha256 ?? (await sha256Of(finding.path));
      const recorded = ledger.find((entry) => entry.sha256 === sha256)?.recipients ?? finding.recipients ?? [];
      const survivors = recorded.filter((recipient) => !gone.has(recipient));
      if (sha256 !== undefined && recorded.length > 0 && survivors.length === 0)
        shredded.push({
          location: finding.location,
          path: finding.path,
          sha256,
          recipients: recorded,
          coveredBy: "audited",
        });
      else kept.push(survivors.length > 0 && gone.size > 0 ? { ...finding, openableBy: survivors } : finding);
    }
    if (kept.length === audit.findings.length) {
      classified.push({ ...audit, findings: kept });
      continue;
    }
    const result = locationResult(kept, audit.gaps);
    classified.push({
      ...audit,
      findings: kept,
      location: {
        ...audit.location,
        result,
        checks: [
          ...audit.location.checks.map((check) =>
            check.result === "residue" && kept.length === 0
              ? { ...check, result: audit.gaps.length > 0 ? ("gap" as const) : ("ok" as const) }
              : check,
          ),
          {
            check: "shredded sealed copies",
            result: "ok" as const,
            detail: `${audit.findings.length - kept.length} sealed cop(ies) whose every recipient was destroyed`,
          },
        ],
      },
    });
  }
  return { audits: classified, shredded };
}

/**
 * `--unreachable-copies FILE`: copies the audit cannot read, each named by its
 * SHA-256 or by the path it was written to. A copy the ledger lists whose
 * recipients were all destroyed is covered by the attestation alone; one with
 * a surviving recipient is residue naming it; one the ledger does not list,
 * or any line without a valid attestation, is a gap.
 */
export function auditUnreachableCopies(
  source: string,
  lines: readonly string[],
  ledger: readonly SealedCopyEntry[],
  evidence: ShredEvidence | undefined,
): { audit: LocationAudit; shredded: ShreddedCopy[] } {
  const name = `unreachable copies (${source})`;
  const gone = new Set(evidence?.signature === "valid" ? evidence.destroyed : []);
  const findings: AuditFinding[] = [];
  const gaps: AuditGap[] = [];
  const shredded: ShreddedCopy[] = [];
  for (const line of lines) {
    const digest = /^(?:sha256:)?([0-9a-f]{64})$/i.exec(line)?.[1]?.toLowerCase();
    const entry = ledger.find((copy) => (digest === undefined ? copy.where === line : copy.sha256 === digest));
    if (entry === undefined) {
      gaps.push({ location: name, path: line, reason: "not in the sealed-copy ledger: who can open it is unknown" });
      continue;
    }
    if (evidence?.signature !== "valid") {
      gaps.push({
        location: name,
        path: line,
        reason:
          evidence === undefined
            ? "no shred attestation: run `connect-ops shred` after the disconnect"
            : "the shred attestation's signature does not verify",
      });
      continue;
    }
    const survivors = entry.recipients.filter((recipient) => !gone.has(recipient));
    if (survivors.length === 0)
      shredded.push({
        location: name,
        path: line,
        sha256: entry.sha256,
        recipients: entry.recipients,
        coveredBy: "attestation",
      });
    else
      findings.push({
        location: name,
        path: line,
        form: "sealed-copy",
        encoding: "age",
        fingerprintId: "unknown",
        recipients: entry.recipients,
        openableBy: survivors,
      });
  }
  const result = locationResult(findings, gaps);
  return {
    audit: {
      location: {
        kind: "unreachable",
        name,
        path: source,
        method: "sealed-copy ledger and the signed shred attestation (the copies themselves are not read)",
        result,
        checks: [
          {
            check: "covered by the shred attestation",
            result: findings.length > 0 ? "residue" : gaps.length > 0 ? "gap" : "ok",
            detail: `${shredded.length} shredded, ${findings.length} still openable, ${gaps.length} unknown of ${lines.length} listed`,
          },
        ],
        filesScanned: 0,
        bytesScanned: 0,
        scannedDigest: `sha256:${createHash("sha256")
          .update([...lines].sort().join("\n"))
          .digest("hex")}`,
        layersDecoded: {},
      },
      findings,
      gaps,
    },
    shredded,
  };
}
