import * as z from "zod";
import { CoreError } from "../errors.js";
import { statusOf, type CloudOperation } from "./cloud-errors.js";
import type { CloudTransport } from "./cloud-transport.js";
import type { AppAuth, CloudClient, ConvertedApp } from "./cloud-types.js";

const appSchema = z.object({
  id: z.number().int().positive(),
  slug: z.string().min(1),
  name: z.string(),
  client_id: z.string().min(1),
  owner: z.object({ login: z.string() }).nullable(),
  installations_count: z.number().int().nonnegative().optional(),
  created_at: z.string().optional(),
});
const conversionSchema = appSchema.extend({
  pem: z.string().includes("PRIVATE KEY-----"),
  client_secret: z.string(),
  webhook_secret: z.string().nullable().optional(),
});
const installationsSchema = z.array(
  z.object({ id: z.number().int().positive(), account: z.object({ login: z.string() }).nullable() }),
);

const APP_HINT =
  "the app key may be revoked or the app deleted (check with `connect-ops status`), or this machine's clock is far off; fix it and run the command again";

type AppMethods = Pick<
  CloudClient,
  "convertManifest" | "getApp" | "appExists" | "findInstallation" | "deleteInstallation" | "deleteApp"
>;

export function appMethods(transport: CloudTransport): AppMethods {
  const operation = (action: string, route: string): CloudOperation => ({
    action,
    route,
    baseUrl: transport.baseUrl,
    unauthorizedHint: APP_HINT,
  });

  async function appExists(slug: string): Promise<boolean> {
    const op = operation("look up the app", "GET /apps/{app_slug}");
    try {
      await transport.run(op, () => transport.request("GET /apps/{app_slug}", { app_slug: slug }));
      return true;
    } catch (error) {
      if (error instanceof CoreError && error.code === "CLOUD_NOT_FOUND") return false;
      throw error;
    }
  }

  /** Deletes idempotently: 404, or a 401 for an app whose public page is gone, means it was already deleted. */
  async function deleteAsApp(
    app: AppAuth,
    op: CloudOperation,
    call: (jwt: string) => Promise<unknown>,
  ): Promise<"deleted" | "already-gone"> {
    try {
      await transport.runAsApp(app, op, call);
      return "deleted";
    } catch (error) {
      if (error instanceof CoreError && error.code === "CLOUD_NOT_FOUND") return "already-gone";
      if (
        error instanceof CoreError &&
        error.code === "CLOUD_UNAUTHORIZED" &&
        app.slug !== undefined &&
        !(await appExists(app.slug))
      ) {
        return "already-gone";
      }
      throw error;
    }
  }

  return {
    appExists,

    async convertManifest(code): Promise<ConvertedApp> {
      const op: CloudOperation = {
        ...operation("create the app from its manifest code", "POST /app-manifests/{code}/conversions"),
      };
      try {
        const response = await transport.run(op, () =>
          transport.request("POST /app-manifests/{code}/conversions", { code }),
        );
        const data = transport.parse(conversionSchema, response.data, op);
        return {
          appId: data.id,
          slug: data.slug,
          name: data.name,
          clientId: data.client_id,
          ownerLogin: data.owner?.login ?? "",
          privateKeyPem: data.pem,
          clientSecret: data.client_secret,
          webhookSecret: data.webhook_secret ?? null,
          createdAt: data.created_at ?? "",
        };
      } catch (error) {
        if (error instanceof CoreError && error.code === "CLOUD_NOT_FOUND") {
          throw new CoreError(
            "CLOUD_NOT_FOUND",
            `the cloud API at ${transport.baseUrl} did not accept the manifest code (it is single-use and valid for one hour)`,
            {
              category: "input",
              hint: "request a new manifest code for the connection record (or register it again) and run the command again",
              context: { baseUrl: transport.baseUrl, route: op.route, status: statusOf(error) ?? 404 },
            },
          );
        }
        throw error;
      }
    },

    async getApp(app) {
      const op = operation("read the app", "GET /app");
      const response = await transport.runAsApp(app, op, (jwt) =>
        transport.request("GET /app", { headers: { authorization: `Bearer ${jwt}` } }),
      );
      const data = transport.parse(appSchema, response.data, op);
      return {
        appId: data.id,
        slug: data.slug,
        name: data.name,
        clientId: data.client_id,
        ownerLogin: data.owner?.login ?? "",
        installationsCount: data.installations_count ?? 0,
      };
    },

    async findInstallation(app, accountLogin) {
      const op = operation("list the app's installations", "GET /app/installations");
      const response = await transport.runAsApp(app, op, (jwt) =>
        transport.request("GET /app/installations", { per_page: 100, headers: { authorization: `Bearer ${jwt}` } }),
      );
      const installations = transport.parse(installationsSchema, response.data, op);
      const wanted = accountLogin.toLowerCase();
      return installations.find((installation) => installation.account?.login.toLowerCase() === wanted)?.id;
    },

    deleteInstallation(app, installationId) {
      const op = operation("delete the app's installation", "DELETE /app/installations/{installation_id}");
      return deleteAsApp(app, op, (jwt) =>
        transport.request("DELETE /app/installations/{installation_id}", {
          installation_id: installationId,
          headers: { authorization: `Bearer ${jwt}` },
        }),
      );
    },

    deleteApp(app) {
      // Not a public GitHub endpoint: part of the Connect surface (docs/github-sim.md).
      const op = operation("delete the app", "DELETE /app");
      return deleteAsApp(app, op, (jwt) =>
        transport.request("DELETE /app", { headers: { authorization: `Bearer ${jwt}` } }),
      );
    },
  };
}
