import * as z from "zod";
import { CoreError } from "../errors.js";
import type { CloudOperation } from "./cloud-errors.js";
import type { CloudTransport } from "./cloud-transport.js";
import type {
  AppAuth,
  CloudClient,
  CloudConnectionRecord,
  ConnectionRecordInput,
  RegisteredConnection,
} from "./cloud-types.js";

// Connection records are the invented part of the cloud API (GitHub's own
// endpoint is not public): docs/github-sim.md defines the routes.

const accountSchema = z.object({
  type: z.enum(["organization", "enterprise"]),
  login: z.string().min(1),
  id: z.number().int().nonnegative(),
});
const recordSchema = z.object({
  id: z.number().int().positive(),
  hostname: z.string(),
  ghes_version: z.string(),
  license_public_key: z.string(),
  license_hash: z.string(),
  customer_name: z.string(),
  account: accountSchema,
  app_id: z.number().int().positive().nullable().optional(),
  app_slug: z.string().nullable().optional(),
});
const manifestCodeSchema = z.object({ manifest_code: z.string().min(1), manifest_code_expires_at: z.string() });

const ADMIN_HINT = "check the cloud admin token (a GitHub token of an owner of the account) and run the command again";
const APP_HINT = "the app's key may be revoked or the app deleted; check with `connect-ops status`";

function toRecord(data: z.infer<typeof recordSchema>): CloudConnectionRecord {
  return {
    recordId: data.id,
    hostname: data.hostname,
    ghesVersion: data.ghes_version,
    licensePublicKey: data.license_public_key,
    licenseHash: data.license_hash,
    customerName: data.customer_name,
    account: data.account,
    appId: data.app_id ?? undefined,
    appSlug: data.app_slug ?? undefined,
  };
}

type RecordMethods = Pick<
  CloudClient,
  "registerConnection" | "renewManifestCode" | "getConnectionRecord" | "deleteConnectionRecord"
>;

export function connectionRecordMethods(transport: CloudTransport, adminToken: string | undefined): RecordMethods {
  const operation = (action: string, route: string, app?: AppAuth): CloudOperation => ({
    action,
    route,
    baseUrl: transport.baseUrl,
    unauthorizedHint: app === undefined ? ADMIN_HINT : APP_HINT,
  });

  function adminAuthorization(op: CloudOperation): string {
    if (adminToken === undefined || adminToken === "") {
      throw new CoreError("CLOUD_UNAUTHORIZED", `a cloud admin token is needed to ${op.action}`, {
        category: "input",
        hint: "provide the cloud admin token (a GitHub token of an owner of the account) and run the command again",
        context: { baseUrl: transport.baseUrl, route: op.route },
      });
    }
    return `Bearer ${adminToken}`;
  }

  /** Runs a record call as the admin, or as the app when one is given. */
  function asCaller<T>(
    op: CloudOperation,
    app: AppAuth | undefined,
    call: (authorization: string) => Promise<T>,
  ): Promise<T> {
    if (app !== undefined) return transport.runAsApp(app, op, (jwt) => call(`Bearer ${jwt}`));
    return transport.run(op, () => call(adminAuthorization(op)));
  }

  return {
    async registerConnection(record: ConnectionRecordInput): Promise<RegisteredConnection> {
      const op = operation("register the connection record", "POST /connect/records");
      const response = await asCaller(op, undefined, (authorization) =>
        transport.request("POST /connect/records", {
          headers: { authorization },
          hostname: record.hostname,
          ghes_version: record.ghesVersion,
          license_public_key: record.licensePublicKey,
          license_hash: record.licenseHash,
          customer_name: record.customerName,
          account: { type: record.account.type, login: record.account.login },
        }),
      );
      const data = transport.parse(recordSchema.and(manifestCodeSchema), response.data, op);
      return {
        recordId: data.id,
        account: data.account,
        manifestCode: data.manifest_code,
        manifestCodeExpiresAt: data.manifest_code_expires_at,
      };
    },

    async renewManifestCode(recordId) {
      const op = operation("issue a new manifest code", "POST /connect/records/{id}/manifest-codes");
      const response = await asCaller(op, undefined, (authorization) =>
        transport.request("POST /connect/records/{id}/manifest-codes", { id: recordId, headers: { authorization } }),
      );
      const data = transport.parse(manifestCodeSchema, response.data, op);
      return { manifestCode: data.manifest_code, expiresAt: data.manifest_code_expires_at };
    },

    async getConnectionRecord(recordId, app) {
      const op = operation("read the connection record", "GET /connect/records/{id}", app);
      try {
        const response = await asCaller(op, app, (authorization) =>
          transport.request("GET /connect/records/{id}", { id: recordId, headers: { authorization } }),
        );
        return toRecord(transport.parse(recordSchema, response.data, op));
      } catch (error) {
        if (error instanceof CoreError && error.code === "CLOUD_NOT_FOUND") return undefined;
        throw error;
      }
    },

    async deleteConnectionRecord(recordId, app) {
      const op = operation("delete the connection record", "DELETE /connect/records/{id}", app);
      try {
        await asCaller(op, app, (authorization) =>
          transport.request("DELETE /connect/records/{id}", { id: recordId, headers: { authorization } }),
        );
        return "deleted";
      } catch (error) {
        if (error instanceof CoreError && error.code === "CLOUD_NOT_FOUND") return "not-found";
        throw error;
      }
    },
  };
}
