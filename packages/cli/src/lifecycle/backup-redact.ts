import { openSnapshot, redactSnapshot, type AgeAudit, type RedactionReport } from "@connect-ops/backup-hooks";
import { createResidueMatcher } from "@connect-ops/connection-core";
import type { ResidueFingerprints } from "@connect-ops/connection-core";

/** What a redaction needs: the fingerprints (loaded once the snapshot checks out) and the clock. */
export interface RedactPorts {
  readonly loadFingerprints: () => Promise<ResidueFingerprints[]>;
  readonly now: () => number;
  /** The sealed-copy ledger and identities age files are judged with (lifecycle/audit-age.ts); absent: each is a gap. */
  readonly loadAgeAudit?: () => Promise<AgeAudit>;
}

export interface RedactRequest {
  /** The snapshot dir or `current` link, resolved. */
  readonly snapshot: string;
  readonly dryRun: boolean;
  readonly force: boolean;
}

/** Redacts one snapshot (a snapshot dir or a `current` link). Refuses an incomplete one or a running backup unless `force`. */
export async function redactBackupSnapshot(ports: RedactPorts, request: RedactRequest): Promise<RedactionReport> {
  // The snapshot is checked first: a wrong path is reported as such even when no fingerprints are at hand.
  const snapshot = await openSnapshot(request.snapshot, { force: request.force });
  const sets = await ports.loadFingerprints();
  const age = await ports.loadAgeAudit?.();
  return redactSnapshot(snapshot.path, {
    matcher: createResidueMatcher(sets),
    ...(age === undefined ? {} : { age }),
    dryRun: request.dryRun,
    now: () => new Date(ports.now()),
  });
}

/** A redaction is complete when nothing failed and the scan had no gaps; otherwise residue may remain. */
export function redactionComplete(report: RedactionReport): boolean {
  return report.failed.length === 0 && report.gaps.length === 0;
}
