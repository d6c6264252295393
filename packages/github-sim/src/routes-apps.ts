import { checkAppJwt } from "./app-jwt-check.js";
import { appJson, installationJson, CONNECT_APP_PERMISSIONS } from "./app-json.js";
import { credentialOf, errorResponse, notFound, type SimRequest, type SimResponse } from "./http-io.js";
import { isoSeconds, type SimContext } from "./sim-context.js";
import type { SimApp } from "./sim-state.js";
import { classicInstallationToken, statelessInstallationToken, tokenDigest, type TokenFormat } from "./tokens.js";

const TOKEN_TTL_MS = 60 * 60 * 1000;
const APPS_DOCS = "/apps/apps";

/** The app authenticated by the request's `Authorization: Bearer <JWT>`, or GitHub's 401. */
export function authenticateApp(context: SimContext, request: SimRequest): SimApp | SimResponse {
  const credential = credentialOf(request.headers);
  if (credential === undefined) return errorResponse(401, "Requires authentication", APPS_DOCS);
  // GitHub requires the Bearer scheme for JWTs; `token <jwt>` cannot be decoded as one.
  const check =
    credential.scheme === "bearer"
      ? checkAppJwt(credential.value, Math.floor(context.nowMs() / 1000), (issuer) =>
          context.state.findAppByIssuer(issuer),
        )
      : ({ ok: false, message: "A JSON web token could not be decoded" } as const);
  if (check.ok) return check.app;
  context.counters.jwtRejected += 1;
  return errorResponse(401, check.message, APPS_DOCS);
}

/** True when the request carries a JWT that authenticates as `app` (counted as no rejection otherwise). */
function isAuthenticatedAs(context: SimContext, request: SimRequest, app: SimApp): boolean {
  const credential = credentialOf(request.headers);
  if (credential?.scheme !== "bearer") return false;
  const check = checkAppJwt(credential.value, Math.floor(context.nowMs() / 1000), (issuer) =>
    context.state.findAppByIssuer(issuer),
  );
  return check.ok && check.app.id === app.id;
}

function requestedFormat(context: SimContext, request: SimRequest): TokenFormat {
  const header = String(request.headers["x-github-stateless-s2s-token"] ?? "").toLowerCase();
  if (header === "disabled") return "classic";
  if (header === "enabled") return "stateless";
  return context.defaultTokenFormat;
}

async function convertManifest(context: SimContext, code: string): Promise<SimResponse> {
  const converted = await context.state.convertManifest(code, context.nowMs());
  if (converted === undefined) return notFound(`${APPS_DOCS}#create-a-github-app-from-a-manifest`);
  context.counters.appsCreated += 1;
  return {
    status: 201,
    body: {
      ...appJson(converted.app, 1),
      client_secret: converted.clientSecret,
      webhook_secret: converted.webhookSecret,
      pem: converted.pem,
    },
  };
}

function mintToken(context: SimContext, request: SimRequest, app: SimApp, installationId: number): SimResponse {
  const installation = context.state.installations.get(installationId);
  if (installation === undefined || installation.appId !== app.id)
    return notFound(`${APPS_DOCS}#create-an-installation-access-token-for-an-app`);
  const nowMs = context.nowMs();
  const expiresAtMs = Math.floor(nowMs / 1000) * 1000 + TOKEN_TTL_MS;
  const token =
    requestedFormat(context, request) === "classic"
      ? classicInstallationToken()
      : statelessInstallationToken(context.tokenSigningKey, {
          appId: app.id,
          installationId,
          issuedAtSeconds: Math.floor(nowMs / 1000),
          expiresAtSeconds: expiresAtMs / 1000,
        });
  context.state.tokens.set(tokenDigest(token), { appId: app.id, installationId, expiresAtMs, revoked: false });
  context.counters.tokenMints += 1;
  return {
    status: 201,
    body: {
      token,
      expires_at: isoSeconds(expiresAtMs),
      permissions: CONNECT_APP_PERMISSIONS,
      repository_selection: "all",
    },
  };
}

/** Routes of GitHub's Apps API that the sim implements; undefined when the path is not one of them. */
export async function routeApps(context: SimContext, request: SimRequest): Promise<SimResponse | undefined> {
  const { method, segments } = request;
  const [first, second, third, fourth] = segments;
  if (method === "POST" && first === "app-manifests" && third === "conversions" && segments.length === 3 && second) {
    return convertManifest(context, second);
  }
  if (method === "GET" && first === "apps" && second && segments.length === 2) {
    const app = context.state.findAppBySlug(second);
    // On github.com a private App is visible only to its own credentials: 404 otherwise, whether or not it exists.
    const visible =
      app !== undefined && (context.profile === "ghes-connect" || isAuthenticatedAs(context, request, app));
    return visible
      ? { status: 200, body: appJson(app, context.state.installationsOf(app.id).length) }
      : notFound(`${APPS_DOCS}#get-an-app`);
  }
  if (first !== "app") return undefined;
  const app = authenticateApp(context, request);
  if (!("id" in app)) return app;
  if (segments.length === 1) {
    if (method === "GET") return { status: 200, body: appJson(app, context.state.installationsOf(app.id).length) };
    if (method === "DELETE" && context.profile === "ghes-connect") {
      // Not in GitHub's public REST API: part of the invented Connect surface (docs/github-sim.md).
      context.state.deleteApp(app.id);
      context.counters.appsDeleted += 1;
      return { status: 204 };
    }
  }
  if (second !== "installations") return undefined;
  if (segments.length === 2 && method === "GET") {
    return {
      status: 200,
      body: context.state.installationsOf(app.id).map((installation) => installationJson(installation, app)),
    };
  }
  const installationId = Number(third);
  if (!Number.isSafeInteger(installationId)) return notFound();
  if (segments.length === 4 && fourth === "access_tokens" && method === "POST")
    return mintToken(context, request, app, installationId);
  if (segments.length !== 3) return undefined;
  const installation = context.state.installations.get(installationId);
  if (installation === undefined || installation.appId !== app.id)
    return notFound(`${APPS_DOCS}#get-an-installation-for-the-authenticated-app`);
  if (method === "GET") return { status: 200, body: installationJson(installation, app) };
  if (method === "DELETE") {
    context.state.deleteInstallation(installationId);
    context.counters.installationsDeleted += 1;
    return { status: 204 };
  }
  return undefined;
}
