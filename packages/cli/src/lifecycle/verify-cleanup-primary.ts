import type { AgeAudit } from "@connect-ops/backup-hooks";
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
  age?: AgeAudit,
): Promise<LocationAudit> {
  const { scanPath } = await import("@connect-ops/backup-hooks");
  const { isShreddingName, isTempName } = await import("@connect-ops/credential-vault");
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
  const leftovers = await plaintextCapableLeftovers(stateDir, isTempName, isShreddingName);
  checks.push({
    check: "temp and pending files",
    result: leftovers.length > 0 ? "residue" : "ok",
    detail: `${leftovers.length} found`,
  });
  for (const path of leftovers) findings.push({ location: name, path, form: "temp-file", fingerprintId: "unknown" });
  const scan = await scanPath(stateDir, { matcher, ...(age === undefined ? {} : { age }) });
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
      layersDecoded: scan.layersDecoded,
    },
    findings,
    gaps,
  };
}

/**
 * The primary when the audit runs off the appliance (fingerprints from a
 * file, a state dir that holds no vault and no disconnect journal): not
 * audited, and said so as a gap — this state dir is the auditor's, not the appliance's.
 */
export function primaryNotAudited(stateDir: string, fingerprintsFile: string): LocationAudit {
  const reason = `primary not audited: the fingerprints came from ${fingerprintsFile} and ${stateDir} holds no vault and no disconnect journal, so this is not the appliance (run verify-cleanup on the appliance to audit it)`;
  return {
    location: {
      kind: "primary",
      name: "primary",
      path: stateDir,
      method: "not audited (off the appliance)",
      result: "gap",
      checks: [{ check: "state dir", result: "gap", detail: reason }],
      filesScanned: 0,
      bytesScanned: 0,
      scannedDigest: digestLines([]),
      layersDecoded: {},
    },
    findings: [],
    gaps: [{ location: "primary", path: stateDir, reason }],
  };
}
