import { CoreError, type AppAuth, type CloudClient } from "@connect-ops/connection-core";
import type { CloudSteps, DisconnectSubject } from "./disconnect-journal.js";

/** What the cloud step needs from the opened vault. Secret; lives in memory only. */
export interface CloudSecrets {
  readonly app: AppAuth & { readonly slug: string };
  readonly token: string | undefined;
}

export interface CloudStepPorts {
  readonly client: CloudClient;
  /** True when CONNECT_OPS_CLOUD_TOKEN is set: the record can be deleted as the admin too. */
  readonly hasAdminToken: boolean;
  readonly now: () => number;
  /** Saves the steps so far (one journal write per effect). */
  readonly save: (steps: CloudSteps) => Promise<void>;
  readonly crash: (point: string) => void;
}

/**
 * Deletes the record as the app; when the app's JWT is refused (the app went
 * with an earlier record delete whose result was not recorded), asks again as
 * the admin, or, without an admin token, takes the app's public absence as
 * proof (the cloud deletes a record's app with it, and this flow deletes the
 * record before the app).
 */
async function deleteRecord(ports: CloudStepPorts, recordId: number, app: CloudSecrets["app"]): Promise<string> {
  try {
    return await ports.client.deleteConnectionRecord(recordId, app);
  } catch (error) {
    if (!(error instanceof CoreError && error.code === "CLOUD_UNAUTHORIZED")) throw error;
    if (ports.hasAdminToken) return ports.client.deleteConnectionRecord(recordId);
    if (!(await ports.client.appExists(app.slug))) return "already-gone";
    throw error;
  }
}

/**
 * Step 2 of disconnect: revoke the token, delete installation, record and
 * app ("already gone" counts as done), then prove the old token is refused.
 * Each effect is saved before the next one starts; a re-run skips what is
 * saved and repeats at most the one unsaved effect, which the cloud then
 * answers as already gone. Throws the cloud client's errors
 * (`CLOUD_UNREACHABLE` → exit 3) and `DISCONNECT_TOKEN_STILL_VALID`.
 */
export async function runCloudStep(
  subject: DisconnectSubject,
  secrets: CloudSecrets,
  initial: CloudSteps,
  ports: CloudStepPorts,
): Promise<CloudSteps> {
  let steps = initial;
  const at = (): string => new Date(ports.now()).toISOString();
  const record = async (changes: Partial<CloudSteps>): Promise<void> => {
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
        ? "none"
        : await ports.client.deleteInstallation(secrets.app, subject.installationId);
    ports.crash("disconnect:installation-deleted");
    await record({ installation: { result, at: at() } });
  }
  if (steps.record === undefined) {
    const result = subject.recordId === undefined ? "none" : await deleteRecord(ports, subject.recordId, secrets.app);
    ports.crash("disconnect:record-deleted");
    await record({ record: { result, at: at() } });
  }
  if (steps.app === undefined) {
    const result = await ports.client.deleteApp(secrets.app);
    ports.crash("disconnect:app-deleted");
    await record({ app: { result, at: at() } });
  }
  if (steps.revocationProof === undefined) {
    // The proof the issue asks for: present the old token once more; GitHub answers 401.
    const refused =
      secrets.token === undefined
        ? !(await ports.client.appExists(secrets.app.slug))
        : (await ports.client.checkToken(secrets.token)) === "refused";
    if (!refused) {
      throw new CoreError(
        "CLOUD_REJECTED",
        "the cloud still accepts the old installation token after the app was deleted",
        {
          category: "incomplete",
          hint: "the cloud may lag behind; wait a minute and run `connect-ops disconnect` again",
        },
      );
    }
    ports.crash("disconnect:revocation-proved");
    await record({
      revocationProof: {
        checkedAt: at(),
        tokenRefused: true,
        method:
          secrets.token === undefined
            ? "GET /apps/{slug} → 404 (no token was sealed)"
            : "GET /installation/repositories with the old token → 401",
      },
    });
  }
  await record({ completedAt: at() });
  return steps;
}
