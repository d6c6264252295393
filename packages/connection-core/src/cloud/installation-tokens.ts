import { createAppAuth } from "@octokit/auth-app";
import { CoreError } from "../errors.js";
import { type CloudOperation } from "./cloud-errors.js";
import type { CloudTransport } from "./cloud-transport.js";
import type { CloudClient } from "./cloud-types.js";

// @octokit/auth-app's cache keys tokens by installation id only (no base URL,
// no app id) and keeps them in plaintext for 59 minutes: we never read it.
const noCache = { get: (): Promise<string> => Promise.resolve(""), set: (): Promise<void> => Promise.resolve() };
const silentLog = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

type TokenMethods = Pick<CloudClient, "mintInstallationToken" | "checkToken" | "revokeToken">;

export function installationTokenMethods(transport: CloudTransport): TokenMethods {
  const operation = (action: string, route: string, unauthorizedHint: string): CloudOperation => ({
    action,
    route,
    baseUrl: transport.baseUrl,
    unauthorizedHint,
  });

  /** Maps a 401 to `refusedResult`, anything else is thrown as a cloud error. */
  async function withTokenRefusal<T>(
    op: CloudOperation,
    refusedResult: T,
    call: () => Promise<unknown>,
    okResult: T,
  ): Promise<T> {
    try {
      await transport.run(op, call);
      return okResult;
    } catch (error) {
      if (error instanceof CoreError && error.code === "CLOUD_UNAUTHORIZED") return refusedResult;
      throw error;
    }
  }

  return {
    async mintInstallationToken(app, installationId, options = {}) {
      const op = operation(
        "mint an installation token",
        "POST /app/installations/{installation_id}/access_tokens",
        "the app key may be revoked or the app deleted (check with `connect-ops status`), or this machine's clock is far off",
      );
      const request =
        options.format === undefined
          ? transport.request
          : transport.request.defaults({
              headers: { "x-github-stateless-s2s-token": options.format === "classic" ? "disabled" : "enabled" },
            });
      const auth = createAppAuth({
        appId: app.appId,
        createJwt: () => Promise.resolve(transport.createJwt(app)),
        request,
        cache: noCache,
        log: silentLog,
      });
      // `refresh: true` skips auth-app's in-process cache: every call asks the cloud for a new token.
      const result = await transport.runWithSkewRetry(op, () =>
        auth({ type: "installation", installationId, refresh: true }),
      );
      return { token: result.token, expiresAt: result.expiresAt };
    },

    checkToken(token) {
      const op = operation("check the installation token", "GET /installation/repositories", "");
      return withTokenRefusal(
        op,
        "refused" as const,
        () =>
          transport.request("GET /installation/repositories", {
            per_page: 1,
            headers: { authorization: `token ${token}` },
          }),
        "valid" as const,
      );
    },

    revokeToken(token) {
      const op = operation("revoke the installation token", "DELETE /installation/token", "");
      return withTokenRefusal(
        op,
        "already-invalid" as const,
        () => transport.request("DELETE /installation/token", { headers: { authorization: `token ${token}` } }),
        "revoked" as const,
      );
    },
  };
}
