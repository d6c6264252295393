import type { CloudClientFactory } from "./ports.js";
import type { CloudSteps } from "./disconnect-journal.js";
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
 * The proofs from the credentials themselves, taken by disconnect before it destroyed them (afterwards nobody can
 * present them again, which is the point): the App's JWT refused by `GET /app`, the old token refused. Each is
 * reported with its HTTP status and time; a missing one is a gap. Never inferred from a 404: a private App's page
 * answers 404 on github.com whether or not it exists.
 */
function credentialProofs(
  steps: CloudSteps | undefined,
  check: (entry: AuditCheck) => void,
  gap: (check: string, reason: string) => void,
): void {
  const appKey = steps?.proofs?.appKey;
  if (appKey?.status === 401) {
    check({
      check: "app key",
      result: "ok",
      detail: `${appKey.request} with the App's JWT answered 401 at ${appKey.at} (before the key was destroyed)`,
    });
    check({
      check: "installation",
      result: "ok",
      detail: "deleted with the App (GitHub uninstalls a deleted App everywhere)",
    });
  } else if (steps?.appDeletion !== undefined) {
    gap(
      "app key",
      `the App still answered its JWT: a person must delete it at ${steps.appDeletion.url}, then run disconnect again`,
    );
  } else {
    gap("app key", "no disconnect proved the App's JWT refused: run `connect-ops disconnect` to finish");
  }
  const token = steps?.proofs?.token;
  if (token?.status === 401) {
    check({
      check: "installation token",
      result: "ok",
      detail: `${token.request} with the old token answered 401 at ${token.at}`,
    });
  } else if (steps?.revocationProof?.method === "no installation token was sealed") {
    check({ check: "installation token", result: "ok", detail: "no installation token was sealed" });
  } else {
    gap("installation token", "no disconnect proved the old token refused: run `connect-ops disconnect` to finish");
  }
}

/**
 * The cloud side: the credential proofs of the disconnect (above), and the connection record asked afresh with the
 * admin token (CONNECT_OPS_CLOUD_TOKEN; without it the record is a gap). A record's 404 counts as gone only when the
 * disconnect saw that record, as the admin, at this URL; an unreachable cloud is a gap, never clean.
 */
export async function auditCloud(
  ports: { readonly cloud: CloudClientFactory; readonly hasAdminToken: boolean },
  subject: AuditSubject,
  steps: CloudSteps | undefined,
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
    credentialProofs(steps, (entry) => checks.push(entry), gap);
    if (subject.recordId === undefined) {
      checks.push({
        check: "connection record",
        result: "ok",
        detail: "none was registered (github.com has no connection records)",
      });
    } else if (!ports.hasAdminToken) {
      gap("connection record", "set CONNECT_OPS_CLOUD_TOKEN (an owner's token) to check that the record is gone");
    } else {
      try {
        const client = await ports.cloud(subject.cloudUrl);
        const record = await client.getConnectionRecord(subject.recordId);
        const seen = steps?.recordSeen;
        if (record !== undefined) {
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
        } else if (seen?.as === "admin") {
          checks.push({
            check: "connection record",
            result: "ok",
            detail: `GET /connect/records/${subject.recordId} answers 404; disconnect saw it (as the admin) at ${seen.at}`,
          });
        } else {
          gap(
            "connection record",
            `GET /connect/records/${subject.recordId} answers 404, but no disconnect saw this record as the admin at this URL: a cloud without the Connect-record API answers 404 too, so it is not provable`,
          );
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
      method:
        "cloud API: the App's JWT and the old token refused (disconnect's proofs), connection record (admin token)",
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
