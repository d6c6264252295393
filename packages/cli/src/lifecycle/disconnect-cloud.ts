import { CoreError, type AppAuth, type CloudClient } from "@connect-ops/connection-core";
import { proveAppGone, proveTokenRefused } from "./disconnect-cloud-proofs.js";
import type { CloudStepResult, CloudSteps, DisconnectSubject } from "./disconnect-journal.js";

/** What the cloud step needs from the opened vault. Secret; lives in memory only. */
export interface CloudSecrets {
  readonly app: AppAuth & { readonly slug: string };
  readonly token: string | undefined;
}

export interface CloudStepPorts {
  readonly client: CloudClient;
  /** True when CONNECT_OPS_CLOUD_TOKEN is set: the record is looked at and deleted as the admin. */
  readonly hasAdminToken: boolean;
  readonly now: () => number;
  /** Saves the steps so far (one journal write per effect). */
  readonly save: (steps: CloudSteps) => Promise<void>;
  readonly crash: (point: string) => void;
}

/** The steps; without `completedAt` (and with `appDeletion`) a person must still delete the App (exit 3, re-run). */
export type CloudStepOutcome = CloudSteps;

type Recorder = (changes: Partial<CloudSteps>) => Promise<void>;

function isUnauthorized(error: unknown): boolean {
  return error instanceof CoreError && error.code === "CLOUD_UNAUTHORIZED";
}

/**
 * The installation: looked at first (so that a later 404 is "gone" only for what this disconnect saw), then
 * deleted. Its real proof is the App's: GitHub deletes an App's installations with it.
 */
async function deleteInstallation(
  ports: CloudStepPorts,
  app: AppAuth,
  installationId: number,
  steps: CloudSteps,
  record: Recorder,
  at: () => string,
): Promise<CloudStepResult> {
  if (steps.installationSeen === undefined) {
    const look = await ports.client.lookInstallation(app, installationId);
    if (look === "not-found") {
      return {
        result: "unsupported",
        at: at(),
        detail: "GET /app/installations/{id} answered 404 and never showed it",
      };
    }
    if (look === "refused") return { result: "unsupported", at: at(), detail: "the App's JWT was refused (401)" };
    await record({ installationSeen: { at: at() } });
  }
  const result = await ports.client.deleteInstallation(app, installationId);
  if (result === "deleted") return { result, at: at(), detail: "DELETE /app/installations/{id} answered 204" };
  if (result === "not-found")
    return { result: "already-gone", at: at(), detail: "404 for the installation this disconnect saw before" };
  return { result: "unsupported", at: at(), detail: "the App's JWT was refused (401); the App proof decides" };
}

/**
 * The connection record (the Connect surface, which github.com does not offer): looked at first with the
 * credential that then deletes it (the admin token when set, else the App's JWT). A 404 for a record this
 * disconnect never saw is `unsupported`, never gone.
 */
async function deleteRecord(
  ports: CloudStepPorts,
  app: AppAuth,
  recordId: number,
  steps: CloudSteps,
  record: Recorder,
  at: () => string,
): Promise<CloudStepResult> {
  const as = steps.recordSeen?.as ?? (ports.hasAdminToken ? "admin" : "app");
  const credential = as === "admin" ? undefined : app;
  try {
    if (steps.recordSeen === undefined) {
      if ((await ports.client.getConnectionRecord(recordId, credential)) === undefined) {
        return {
          result: "unsupported",
          at: at(),
          detail: `GET /connect/records/${recordId} answered 404 and this disconnect never saw the record: the cloud does not offer connection records (github.com has none) or hides it; not provable`,
        };
      }
      await record({ recordSeen: { at: at(), as } });
    }
    if ((await ports.client.deleteConnectionRecord(recordId, credential)) === "deleted") {
      return { result: "deleted", at: at(), detail: `DELETE /connect/records/${recordId} answered 204` };
    }
    if ((await ports.client.getConnectionRecord(recordId, credential)) !== undefined) {
      return { result: "unsupported", at: at(), detail: "the record still answers 200 but DELETE answered 404" };
    }
    return { result: "already-gone", at: at(), detail: `404 for the record this disconnect saw (as ${as})` };
  } catch (error) {
    // The App's JWT refused: the record cannot be looked at as the App any more (set CONNECT_OPS_CLOUD_TOKEN).
    if (credential === undefined || !isUnauthorized(error)) throw error;
    return {
      result: "unsupported",
      at: at(),
      detail:
        "the App's JWT was refused (401) and no admin token is set: set CONNECT_OPS_CLOUD_TOKEN to check the record",
    };
  }
}

/**
 * Step 2 of disconnect: revoke the token, delete installation and record, delete the App (or, where the cloud
 * has no API for it, ask a person to: `appDeletion` set, no `completedAt`), then prove from the credentials
 * themselves that they are dead: the App's JWT and the old token are refused (401). Each effect is saved
 * before the next one starts; a re-run skips what is saved. Throws the cloud client's errors
 * (`CLOUD_UNREACHABLE` → exit 3) and `CLOUD_REJECTED` (incomplete) when a credential still works after a delete.
 */
export async function runCloudStep(
  subject: DisconnectSubject,
  secrets: CloudSecrets,
  initial: CloudSteps,
  ports: CloudStepPorts,
): Promise<CloudStepOutcome> {
  let steps = initial;
  const at = (): string => new Date(ports.now()).toISOString();
  const record: Recorder = async (changes) => {
    steps = { ...steps, ...changes };
    await ports.save(steps);
  };
  if (steps.tokenRevoke === undefined) {
    const result = secrets.token === undefined ? "no-token" : await ports.client.revokeToken(secrets.token);
    ports.crash("disconnect:token-revoked");
    await record({ tokenRevoke: { result, at: at() } });
  }
  if (steps.installation === undefined) {
    const result =
      subject.installationId === undefined
        ? { result: "none", at: at() }
        : await deleteInstallation(ports, secrets.app, subject.installationId, steps, record, at);
    ports.crash("disconnect:installation-deleted");
    await record({ installation: result });
  }
  if (steps.record === undefined) {
    const result =
      subject.recordId === undefined
        ? { result: "none", at: at(), detail: "no connection record was registered (github.com has none)" }
        : await deleteRecord(ports, secrets.app, subject.recordId, steps, record, at);
    ports.crash("disconnect:record-deleted");
    await record({ record: result });
  }
  if (steps.proofs?.appKey === undefined) {
    const gone = await proveAppGone(ports, secrets.app, () => steps, record, at);
    if (!gone) return steps;
  }
  if (steps.revocationProof === undefined) await proveTokenRefused(ports, secrets.token, () => steps, record, at);
  await record({ completedAt: at() });
  return steps;
}
