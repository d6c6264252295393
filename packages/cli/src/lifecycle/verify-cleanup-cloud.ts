import type { CloudClientFactory } from "./ports.js";
import {
  digestLines,
  locationResult,
  type AuditCheck,
  type AuditFinding,
  type AuditGap,
  type AuditLocation,
  type AuditSubject,
} from "../flows/audit-report.js";

export interface LocationAudit {
  readonly location: AuditLocation;
  readonly findings: AuditFinding[];
  readonly gaps: AuditGap[];
}

function errorText(error: unknown): string {
  return error instanceof Error ? `${"code" in error ? `${String(error.code)}: ` : ""}${error.message}` : String(error);
}

/**
 * The cloud side, asked afresh: the app's public page (`GET /apps/{slug}`,
 * no credentials needed) must be gone, and the connection record too (needs
 * CONNECT_OPS_CLOUD_TOKEN; without it the record is a gap). The installation
 * and its tokens cannot outlive the app on GitHub, so they follow from it.
 * An unreachable cloud is a gap, never clean.
 */
export async function auditCloud(
  ports: { readonly cloud: CloudClientFactory; readonly hasAdminToken: boolean },
  subject: AuditSubject,
): Promise<LocationAudit> {
  const name = subject.cloudUrl ?? "cloud";
  const checks: AuditCheck[] = [];
  const findings: AuditFinding[] = [];
  const gaps: AuditGap[] = [];
  const gap = (check: string, reason: string): void => {
    checks.push({ check, result: "gap", detail: reason });
    gaps.push({ location: name, reason: `${check}: ${reason}` });
  };
  if (subject.cloudUrl === undefined || subject.appSlug === undefined) {
    gap("app", "no connection is recorded in the disconnect journal or the vault, so the app to look for is unknown");
  } else {
    const client = await ports.cloud(subject.cloudUrl);
    try {
      if (await client.appExists(subject.appSlug)) {
        checks.push({ check: "app", result: "residue", detail: `GET /apps/${subject.appSlug} answers 200` });
        findings.push({
          location: name,
          path: `apps/${subject.appSlug}`,
          form: "cloud-app",
          fingerprintId: String(subject.appId ?? "unknown"),
        });
      } else {
        checks.push({ check: "app", result: "ok", detail: `GET /apps/${subject.appSlug} answers 404` });
        checks.push({
          check: "installation and tokens",
          result: "ok",
          detail: "deleted with the app (GitHub deletes an app's installations and revokes their tokens)",
        });
      }
    } catch (error) {
      gap("app", `the cloud could not be asked (${errorText(error)})`);
    }
    if (subject.recordId === undefined) {
      checks.push({ check: "connection record", result: "ok", detail: "no record was registered" });
    } else if (!ports.hasAdminToken) {
      gap("connection record", "set CONNECT_OPS_CLOUD_TOKEN (an owner's token) to check that the record is gone");
    } else {
      try {
        const record = await client.getConnectionRecord(subject.recordId);
        if (record === undefined)
          checks.push({
            check: "connection record",
            result: "ok",
            detail: `GET /connect/records/${subject.recordId} answers 404`,
          });
        else {
          checks.push({
            check: "connection record",
            result: "residue",
            detail: `record ${subject.recordId} still exists`,
          });
          findings.push({
            location: name,
            path: `connect/records/${subject.recordId}`,
            form: "cloud-record",
            fingerprintId: String(subject.appId ?? "unknown"),
          });
        }
      } catch (error) {
        gap("connection record", `the cloud could not be asked (${errorText(error)})`);
      }
    }
  }
  return {
    location: {
      kind: "cloud",
      name,
      method: "cloud API: public app page, connection record (admin token)",
      result: locationResult(findings, gaps),
      checks,
      filesScanned: 0,
      bytesScanned: 0,
      scannedDigest: digestLines(checks.map((check) => check.check)),
    },
    findings,
    gaps,
  };
}
