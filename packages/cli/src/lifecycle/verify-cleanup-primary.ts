import { errnoCode, type ResidueMatcher } from "@connect-ops/connection-core";
import { lstat } from "node:fs/promises";
import {
  digestLines,
  listingGaps,
  listRegularFiles,
  locationResult,
  type AuditCheck,
  type AuditFinding,
  type AuditGap,
} from "../flows/audit-report.js";
import { plaintextCapableLeftovers } from "./disconnect-local.js";
import { toAuditFinding, toAuditGap } from "./verify-cleanup-scan.js";
import type { LocationAudit } from "./verify-cleanup-cloud.js";

/**
 * The primary: no vault (sealed file, meta, pending halves), no temp file,
 * and a residue scan of the whole state dir (journal, config, anything an
 * operator left there) with the scanner of the backup issue.
 */
export async function auditPrimary(
  stateDir: string,
  vaultDir: string,
  matcher: ResidueMatcher,
): Promise<LocationAudit> {
  const { scanPath } = await import("@connect-ops/backup-hooks");
  const { isTempName } = await import("@connect-ops/credential-vault");
  const name = "primary";
  const checks: AuditCheck[] = [];
  const findings: AuditFinding[] = [];
  const gaps: AuditGap[] = [];
  // Only ENOENT proves the vault gone; a vault dir that cannot be looked at is a gap, never "ok".
  const vaultState = await lstat(vaultDir).then(
    () => "present" as const,
    (error: unknown) => (errnoCode(error) === "ENOENT" ? ("absent" as const) : (errnoCode(error) ?? String(error))),
  );
  if (vaultState === "present") {
    checks.push({
      check: "vault",
      result: "residue",
      detail: `${vaultDir} exists (the sealed credentials and the token cache)`,
    });
    findings.push({ location: name, path: vaultDir, form: "vault", fingerprintId: "vault" });
  } else if (vaultState === "absent")
    checks.push({
      check: "vault",
      result: "ok",
      detail: `${vaultDir} does not exist (no sealed credentials, no token cache)`,
    });
  else {
    const reason = `${vaultDir} could not be checked (${vaultState})`;
    checks.push({ check: "vault", result: "gap", detail: reason });
    gaps.push({ location: name, path: vaultDir, reason });
  }
  const leftovers = await plaintextCapableLeftovers(stateDir, isTempName);
  checks.push({
    check: "temp and pending files",
    result: leftovers.length > 0 ? "residue" : "ok",
    detail: `${leftovers.length} found`,
  });
  for (const path of leftovers) findings.push({ location: name, path, form: "temp-file", fingerprintId: "unknown" });
  const scan = await scanPath(stateDir, { matcher });
  findings.push(...scan.findings.map((finding) => toAuditFinding(name, finding)));
  gaps.push(...scan.gaps.map((gap) => toAuditGap(name, gap)));
  checks.push({
    check: "residue scan",
    result: scan.findings.length > 0 ? "residue" : scan.gaps.length > 0 ? "gap" : "ok",
    detail: `${scan.filesScanned} files, ${scan.bytesScanned} bytes`,
  });
  const listing = await listRegularFiles(stateDir);
  gaps.push(...listingGaps(name, stateDir, listing));
  return {
    location: {
      kind: "primary",
      name,
      path: stateDir,
      method: "filesystem checks + residue scan of the state dir",
      result: locationResult(findings, gaps),
      checks,
      filesScanned: scan.filesScanned,
      bytesScanned: scan.bytesScanned,
      scannedDigest: digestLines(listing.lines),
    },
    findings,
    gaps,
  };
}
