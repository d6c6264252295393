import type { Finding, Gap } from "@connect-ops/backup-hooks";
import type { AuditFinding, AuditGap } from "../flows/audit-report.js";

/** A scanner finding as the report carries it; `mapPath` renames scratch paths back to where the bytes came from. */
export function toAuditFinding(
  location: string,
  finding: Finding,
  mapPath: (path: string) => string = (path) => path,
): AuditFinding {
  return {
    location,
    path: mapPath(finding.path),
    ...(finding.member === undefined ? {} : { member: finding.member }),
    offset: finding.offset,
    length: finding.length,
    form: finding.form,
    encoding: finding.encoding,
    fingerprintId: finding.fingerprintId,
    ...(finding.recipients === undefined ? {} : { recipients: finding.recipients }),
    ...(finding.sha256 === undefined ? {} : { sha256: finding.sha256 }),
    ...(finding.linkedPaths === undefined ? {} : { linkedPaths: finding.linkedPaths.map(mapPath) }),
  };
}

export function toAuditGap(location: string, gap: Gap, mapPath: (path: string) => string = (path) => path): AuditGap {
  return {
    location,
    path: mapPath(gap.path),
    ...(gap.member === undefined ? {} : { member: gap.member }),
    reason: gap.reason,
  };
}
