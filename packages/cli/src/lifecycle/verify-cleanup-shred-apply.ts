import type { AuditGap, AuditReport } from "../flows/audit-report.js";
import type { LocationAudit } from "./verify-cleanup-cloud.js";
import { auditUnreachableCopies, classifySealedCopies, loadShredEvidence } from "./verify-cleanup-shred.js";

/** `--unreachable-copies FILE`, read at the edge: how it was typed and its non-comment lines. */
export interface UnreachableCopies {
  readonly source: string;
  readonly lines: readonly string[];
}

/**
 * What a shred changes in an audit: sealed copies whose every recipient the
 * (verified) attestation lists as destroyed become `shredded`, the unreachable
 * copies get their own location, and an attestation that does not verify is
 * a gap (its word counts for nothing then).
 */
export async function applyShredEvidence(
  audits: readonly LocationAudit[],
  input: { readonly stateDir: string; readonly publicKey: string; readonly unreachable?: UnreachableCopies },
): Promise<{ audits: LocationAudit[]; gaps: AuditGap[]; shred?: NonNullable<AuditReport["shred"]> }> {
  const evidence = await loadShredEvidence(input.stateDir, input.publicKey);
  if (evidence === undefined && input.unreachable === undefined) return { audits: [...audits], gaps: [] };
  const { readSealedCopies } = await import("@connect-ops/credential-vault");
  const ledger = await readSealedCopies(input.stateDir);
  const destroyed = evidence?.signature === "valid" ? evidence.destroyed : [];
  const classified = await classifySealedCopies(audits, ledger, destroyed);
  const shredded = [...classified.shredded];
  const all = [...classified.audits];
  if (input.unreachable !== undefined) {
    const unreachable = auditUnreachableCopies(input.unreachable.source, input.unreachable.lines, ledger, evidence);
    all.push(unreachable.audit);
    shredded.push(...unreachable.shredded);
  }
  const gaps: AuditGap[] =
    evidence?.signature === "invalid"
      ? [{ location: "primary", path: evidence.file, reason: "the shred attestation's signature does not verify" }]
      : [];
  return {
    audits: all,
    gaps,
    ...(evidence === undefined
      ? {}
      : {
          shred: {
            attestation: evidence.file,
            attestationSha256: evidence.sha256,
            signature: evidence.signature,
            destroyedRecipients: destroyed,
            shredded,
          },
        }),
  };
}
