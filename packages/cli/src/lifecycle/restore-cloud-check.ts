import { CoreError, type AppAuth, type MintedToken } from "@connect-ops/connection-core";
import type { BackupCredentials } from "../flows/backup-bundle.js";
import type { CloudClientFactory } from "./ports.js";

export type CloudCheck =
  | { readonly ok: true; readonly installationId: number; readonly token: MintedToken }
  | {
      readonly ok: false;
      readonly reason: "app-deleted" | "record-deleted" | "installation-deleted" | "key-refused";
      readonly message: string;
    };

const GONE =
  "the connection was deleted after this snapshot was taken (disconnect, or removed on the cloud); nothing was restored — run `connect-ops connect` to create a new connection";

/**
 * Asks the cloud whether the snapshot's connection still exists — the app
 * (`GET /app` with the snapshot's key: 401 means deleted or revoked), its connection record and its installation
 * (as the app) — and mints a token to prove the key still works. Restoring a
 * dead connection would seal a key nothing accepts. Network failures throw
 * (`CLOUD_UNREACHABLE`: exit 3, safe to re-run).
 */
export async function checkConnectionOnCloud(
  cloud: CloudClientFactory,
  document: BackupCredentials,
): Promise<CloudCheck> {
  const bundle = document.credentials;
  const client = await cloud(bundle.cloudUrl);
  const app: AppAuth = { appId: bundle.app.appId, privateKeyPem: bundle.app.privateKeyPem, slug: bundle.app.slug };
  // The App's own JWT, not its public page: github.com answers 404 for a private App whether or not it exists.
  if (!(await client.probeAppKey(app)).accepted) {
    return {
      ok: false,
      reason: "app-deleted",
      message: `the GitHub App ${bundle.app.slug} (id ${bundle.app.appId}) no longer exists at ${client.baseUrl} (GET /app refused the snapshot's key: 401): ${GONE}`,
    };
  }
  try {
    if (document.recordId !== undefined && (await client.getConnectionRecord(document.recordId, app)) === undefined) {
      return {
        ok: false,
        reason: "record-deleted",
        message: `connection record ${document.recordId} no longer exists at ${client.baseUrl}: ${GONE}`,
      };
    }
    const login = document.record?.account.login;
    const installationId = login === undefined ? bundle.installationId : await client.findInstallation(app, login);
    if (installationId === undefined) {
      return {
        ok: false,
        reason: "installation-deleted",
        message: `the app ${bundle.app.slug} is no longer installed on ${login ?? "its account"}: ${GONE}`,
      };
    }
    return { ok: true, installationId, token: await client.mintInstallationToken(app, installationId) };
  } catch (error) {
    if (error instanceof CoreError && error.code === "CLOUD_UNAUTHORIZED") {
      return {
        ok: false,
        reason: "key-refused",
        message: `the cloud refused the App key held in the snapshot (revoked or replaced after the snapshot was taken); nothing was restored — include the credentials again from a connected appliance, or run \`connect-ops connect\``,
      };
    }
    throw error;
  }
}
