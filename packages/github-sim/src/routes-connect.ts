import { checkAppJwt } from "./app-jwt-check.js";
import { recordJson } from "./app-json.js";
import {
  credentialOf,
  errorResponse,
  notFound,
  stringField,
  validationFailed,
  type SimRequest,
  type SimResponse,
} from "./http-io.js";
import { isoSeconds, type SimContext } from "./sim-context.js";
import { MANIFEST_CODE_TTL_MS, type SimRecord } from "./sim-state.js";

// Connection records are the one invented part of the sim: GitHub's own
// endpoint is not public. Shapes and status codes follow GitHub's conventions
// and are documented in docs/github-sim.md.

type Caller = { readonly kind: "admin" } | { readonly kind: "app"; readonly appId: number };

function authenticateCaller(context: SimContext, request: SimRequest): Caller | SimResponse {
  const credential = credentialOf(request.headers);
  if (credential === undefined) return errorResponse(401, "Requires authentication");
  if (context.isAdminToken(credential.value)) return { kind: "admin" };
  if (credential.scheme === "bearer" && credential.value.split(".").length === 3) {
    const check = checkAppJwt(credential.value, Math.floor(context.nowMs() / 1000), (issuer) =>
      context.state.findAppByIssuer(issuer),
    );
    if (check.ok) return { kind: "app", appId: check.app.id };
    context.counters.jwtRejected += 1;
    return errorResponse(401, check.message);
  }
  return errorResponse(401, "Bad credentials");
}

const REQUIRED_FIELDS = ["hostname", "ghes_version", "license_public_key", "license_hash", "customer_name"] as const;

function createRecord(context: SimContext, body: unknown): SimResponse {
  for (const field of REQUIRED_FIELDS) {
    if (!stringField(body, field)) return validationFailed("ConnectionRecord", field, "missing_field");
  }
  if (!/^[0-9a-f]{64}$/.test(stringField(body, "license_hash") ?? ""))
    return validationFailed("ConnectionRecord", "license_hash", "invalid");
  const account = (body as Record<string, unknown>)["account"];
  const type = stringField(account, "type");
  const login = stringField(account, "login");
  if (type !== "organization" && type !== "enterprise")
    return validationFailed("ConnectionRecord", "account.type", "invalid");
  if (!login) return validationFailed("ConnectionRecord", "account.login", "missing_field");
  const nowMs = context.nowMs();
  // Registering is idempotent while no app exists yet: a client that died after
  // the record was created but before it wrote the id down gets the same record
  // back (200, with a fresh manifest code) instead of leaving an orphan behind.
  const pending = [...context.state.records.values()].find(
    (existing) =>
      existing.appId === undefined &&
      existing.hostname === stringField(body, "hostname") &&
      existing.licenseHash === stringField(body, "license_hash") &&
      existing.account.type === type &&
      existing.account.login === login,
  );
  if (pending !== undefined) {
    return { status: 200, body: { ...recordJson(pending, undefined), ...manifestCodeJson(context, pending, nowMs) } };
  }
  const record = context.state.createRecord(
    {
      hostname: stringField(body, "hostname") as string,
      ghesVersion: stringField(body, "ghes_version") as string,
      licensePublicKey: stringField(body, "license_public_key") as string,
      licenseHash: stringField(body, "license_hash") as string,
      customerName: stringField(body, "customer_name") as string,
      account: context.state.accountFor(type, login),
    },
    nowMs,
  );
  context.counters.recordsCreated += 1;
  return { status: 201, body: { ...recordJson(record, undefined), ...manifestCodeJson(context, record, nowMs) } };
}

function manifestCodeJson(context: SimContext, record: SimRecord, nowMs: number): Record<string, string> {
  return {
    manifest_code: context.state.createManifestCode(record.account, record.id, nowMs),
    manifest_code_expires_at: isoSeconds(nowMs + MANIFEST_CODE_TTL_MS),
  };
}

/** `/connect/records[/{id}[/manifest-codes]]`; undefined when the path is not one of them. */
export function routeConnect(context: SimContext, request: SimRequest): SimResponse | undefined {
  const { method, segments } = request;
  // github.com has no Connect-record API: the route does not exist there (404 like any unknown path).
  if (context.profile !== "ghes-connect" || segments[0] !== "connect" || segments[1] !== "records") return undefined;
  const caller = authenticateCaller(context, request);
  if ("status" in caller) return caller;
  if (segments.length === 2) {
    if (method !== "POST") return undefined;
    if (caller.kind !== "admin") return errorResponse(403, "Resource not accessible by integration");
    if (request.invalidBody) return errorResponse(400, "Problems parsing JSON");
    return createRecord(context, request.body);
  }
  const record = context.state.records.get(Number(segments[2]));
  // An app may only see its own record; others get 404, as GitHub hides what a caller may not see.
  if (record === undefined || (caller.kind === "app" && record.appId !== caller.appId)) return notFound();
  if (segments.length === 4 && segments[3] === "manifest-codes" && method === "POST") {
    if (caller.kind !== "admin") return errorResponse(403, "Resource not accessible by integration");
    if (record.appId !== undefined) return validationFailed("ConnectionRecord", "app_id", "already_exists");
    return { status: 201, body: manifestCodeJson(context, record, context.nowMs()) };
  }
  if (segments.length !== 3) return undefined;
  if (method === "GET") {
    const app = record.appId === undefined ? undefined : context.state.apps.get(record.appId);
    return { status: 200, body: recordJson(record, app) };
  }
  if (method === "DELETE") {
    const hadApp = record.appId !== undefined;
    context.state.deleteRecord(record.id);
    context.counters.recordsDeleted += 1;
    if (hadApp) context.counters.appsDeleted += 1;
    return { status: 204 };
  }
  return undefined;
}
