import * as z from "zod";
import { CoreError } from "../errors.js";
import { statusOf, type CloudOperation } from "./cloud-errors.js";
import type { CloudTransport } from "./cloud-transport.js";
import type { AppAuth, CloudApp, CloudClient, ConvertedApp } from "./cloud-types.js";

const appSchema = z.object({
  id: z.number().int().positive(),
  slug: z.string().min(1),
  name: z.string(),
  client_id: z.string().min(1),
  owner: z.object({ login: z.string(), type: z.string().optional() }).nullable(),
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
  | "convertManifest"
  | "getApp"
  | "probeAppKey"
  | "findInstallation"
  | "lookInstallation"
  | "deleteInstallation"
  | "deleteApp"
>;

function ownerTypeOf(type: string | undefined): CloudApp["ownerType"] {
  if (type === "Enterprise") return "enterprise";
  if (type === "User") return "user";
  return "organization";
}

function toCloudApp(data: z.infer<typeof appSchema>): CloudApp {
  return {
    appId: data.id,
    slug: data.slug,
    name: data.name,
    clientId: data.client_id,
    ownerLogin: data.owner?.login ?? "",
    ownerType: ownerTypeOf(data.owner?.type),
    installationsCount: data.installations_count ?? 0,
  };
}

/** The status of a cloud error, when it is one of `statuses`; otherwise the error is thrown on. */
function expectedStatus<Status extends number>(error: unknown, statuses: readonly Status[]): Status {
  const status = error instanceof CoreError ? error.context["status"] : undefined;
  if (typeof status === "number" && (statuses as readonly number[]).includes(status)) return status as Status;
  throw error;
}

export function appMethods(transport: CloudTransport): AppMethods {
  const operation = (action: string, route: string): CloudOperation => ({
    action,
    route,
    baseUrl: transport.baseUrl,
    unauthorizedHint: APP_HINT,
  });

  /** Runs a call as the app; the statuses listed come back as results, anything else is thrown. */
  async function asAppExpecting<Status extends number>(
    app: AppAuth,
    op: CloudOperation,
    statuses: readonly Status[],
    call: (jwt: string) => Promise<unknown>,
  ): Promise<"ok" | Status> {
    try {
      await transport.runAsApp(app, op, call);
      return "ok";
    } catch (error) {
      return expectedStatus(error, statuses);
    }
  }

  return {
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
      return toCloudApp(transport.parse(appSchema, response.data, op));
    },

    async probeAppKey(app) {
      const op = operation("check the app's key", "GET /app");
      try {
        const response = await transport.runAsApp(app, op, (jwt) =>
          transport.request("GET /app", { headers: { authorization: `Bearer ${jwt}` } }),
        );
        return { accepted: true, status: 200, app: toCloudApp(transport.parse(appSchema, response.data, op)) };
      } catch (error) {
        // runAsApp already retried a clock-skew 401 on the server's clock, so a 401 here is the key refused.
        return { accepted: false, status: expectedStatus(error, [401] as const) };
      }
    },

    async lookInstallation(app, installationId) {
      const op = operation("read the app's installation", "GET /app/installations/{installation_id}");
      const result = await asAppExpecting(app, op, [401, 404] as const, (jwt) =>
        transport.request("GET /app/installations/{installation_id}", {
          installation_id: installationId,
          headers: { authorization: `Bearer ${jwt}` },
        }),
      );
      return result === "ok" ? "exists" : result === 404 ? "not-found" : "refused";
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

    async deleteInstallation(app, installationId) {
      const op = operation("delete the app's installation", "DELETE /app/installations/{installation_id}");
      const result = await asAppExpecting(app, op, [401, 404] as const, (jwt) =>
        transport.request("DELETE /app/installations/{installation_id}", {
          installation_id: installationId,
          headers: { authorization: `Bearer ${jwt}` },
        }),
      );
      return result === "ok" ? "deleted" : result === 404 ? "not-found" : "refused";
    },

    async deleteApp(app) {
      // Not a public GitHub endpoint: part of the Connect surface (docs/github-sim.md). github.com answers
      // 404 (no such route), which says nothing about the App: "not-offered", never "gone".
      const op = operation("delete the app", "DELETE /app");
      const result = await asAppExpecting(app, op, [401, 404, 405] as const, (jwt) =>
        transport.request("DELETE /app", { headers: { authorization: `Bearer ${jwt}` } }),
      );
      return result === "ok" ? "deleted" : result === 401 ? "refused" : "not-offered";
    },
  };
}
