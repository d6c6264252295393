import { CoreError, type AppAuth } from "@connect-ops/connection-core";
import { appDeletionStep } from "./app-settings-page.js";
import type { CloudStepPorts } from "./disconnect-cloud.js";
import type { CloudSteps } from "./disconnect-journal.js";

type Recorder = (changes: Partial<CloudSteps>) => Promise<void>;

function stillAccepted(what: string): CoreError {
  return new CoreError("CLOUD_REJECTED", `the cloud still accepts ${what} after it answered the delete`, {
    category: "incomplete",
    hint: "the cloud may lag behind; wait a minute and run `connect-ops disconnect` again",
  });
}

/**
 * Deletes the App where the cloud offers it (`DELETE /app`, the Connect surface), then proves it with the App's
 * own JWT: `GET /app` refused (401). Where the App still answers (github.com: no API deletes an App), records
 * the settings-page step for a person and returns false (the disconnect stops at exit 3 with the key kept, so
 * that a re-run can take the proof). Returns true once the proof is journaled.
 */
export async function proveAppGone(
  ports: CloudStepPorts,
  app: AppAuth,
  steps: () => CloudSteps,
  record: Recorder,
  at: () => string,
): Promise<boolean> {
  if (steps().app === undefined) {
    const result = await ports.client.deleteApp(app);
    ports.crash("disconnect:app-deleted");
    const detail =
      result === "deleted"
        ? "DELETE /app answered 204"
        : result === "refused"
          ? "DELETE /app: the App's JWT was already refused (401)"
          : "DELETE /app answered 404: this cloud offers no API to delete an App (github.com)";
    await record({ app: { result: result === "not-offered" ? "unsupported" : result, at: at(), detail } });
  }
  const probe = await ports.client.probeAppKey(app);
  const checkedAt = at();
  if (probe.accepted) {
    if (steps().app?.result === "deleted") throw stillAccepted("the App's JWT (GET /app answers 200)");
    const step = appDeletionStep(ports.client.baseUrl, probe.app);
    await record({
      app: {
        result: "pending-person",
        at: checkedAt,
        detail: `GET /app with the App's JWT answered 200 at ${checkedAt}: the App still exists`,
      },
      appDeletion: { ...step, since: steps().appDeletion?.since ?? checkedAt },
    });
    return false;
  }
  const current = steps();
  ports.crash("disconnect:revocation-proved");
  await record({
    appDeletion: undefined,
    app:
      current.app?.result === "pending-person"
        ? {
            result: "deleted",
            at: checkedAt,
            detail: "deleted by a person in the settings page; proved by the App's JWT",
          }
        : (current.app ?? { result: "deleted", at: checkedAt }),
    proofs: {
      ...current.proofs,
      appKey: { credential: "app-jwt", request: "GET /app", status: probe.status, at: checkedAt },
    },
  });
  return true;
}

/** Presents the old installation token once more; GitHub answers 401. Journaled with its status and time. */
export async function proveTokenRefused(
  ports: CloudStepPorts,
  token: string | undefined,
  steps: () => CloudSteps,
  record: Recorder,
  at: () => string,
): Promise<void> {
  if (token === undefined) {
    await record({
      revocationProof: { checkedAt: at(), tokenRefused: true, method: "no installation token was sealed" },
    });
    return;
  }
  if ((await ports.client.checkToken(token)) !== "refused") throw stillAccepted("the old installation token");
  const checkedAt = at();
  await record({
    proofs: {
      ...steps().proofs,
      token: {
        credential: "installation-token",
        request: "GET /installation/repositories",
        status: 401,
        at: checkedAt,
      },
    },
    revocationProof: {
      checkedAt,
      tokenRefused: true,
      method: "GET /installation/repositories with the old token → 401",
    },
  });
}
