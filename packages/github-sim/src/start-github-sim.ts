import { generateKeyPairSync, type KeyObject } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { FaultPlan, type FailureFaultOptions, type RateLimitFaultOptions } from "./faults.js";
import { errorResponse, readSimRequest, type SimRequest, type SimResponse } from "./http-io.js";
import { RateLimitWindow } from "./rate-limit-window.js";
import { routeApps } from "./routes-apps.js";
import { routeConnect } from "./routes-connect.js";
import { routeControl } from "./routes-control.js";
import { routeInstallation } from "./routes-installation.js";
import { routeUser } from "./routes-user.js";
import { answerManifestForm, isManifestFormRoute } from "./routes-manifest-flow.js";
import { emptyCounters, type SimContext, type SimCounters, type SimProfile } from "./sim-context.js";
import { SimState, type AccountType } from "./sim-state.js";
import { createSimTlsMaterial } from "./tls-material.js";
import { looksLikeAdminToken, newAdminToken, type TokenFormat } from "./tokens.js";

export interface GitHubSimOptions {
  /** Port on 127.0.0.1; 0 (default) picks a free one. */
  readonly port?: number;
  /** The sim's clock in ms since the epoch (default `Date.now`); the skew knob is added to it. */
  readonly now?: () => number;
  /** Token format when the request does not send `X-GitHub-Stateless-S2S-Token` (default "stateless"). */
  readonly tokenFormat?: TokenFormat;
  /** Pins the one accepted cloud admin token; otherwise any `ghp_`/`gho_`/`github_pat_` token is accepted. */
  readonly adminToken?: string;
  /** How the latency knob waits (default a timer). */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Which cloud to stand for (default `ghes-connect`; docs/github-sim.md). */
  readonly profile?: SimProfile;
  /** Serve HTTPS: a CA made for this start is written to `DIR/ca.pem`, its leaf is for 127.0.0.1 and localhost. */
  readonly tls?: string;
}

/** An App made as a person makes one in the settings page: the PEM is what the page downloads. */
export interface SimCreatedApp {
  readonly id: number;
  readonly slug: string;
  readonly installationId: number;
  readonly keyId: number;
  readonly pem: string;
}

/** One App as `listApps()` and `GET /_sim/apps` show it: ids, names and owner, never a key. */
export interface SimListedApp {
  readonly id: number;
  readonly slug: string;
  readonly name: string;
  readonly owner: string;
  readonly createdAt: string;
}

/** One API request as the sim saw it. The Authorization value is never kept, only its kind. */
export interface SimRequestLogEntry {
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly at: string;
  readonly auth: "none" | "jwt" | "token";
}

/** Counters plus the live number of apps, installations, records and usable tokens. */
export type SimStats = SimCounters & { apps: number; installations: number; records: number; usableTokens: number };

export interface GitHubSim extends AsyncDisposable {
  /** Base URL, `http://127.0.0.1:PORT` (`https://` with the `tls` option). */
  readonly url: string;
  /** With the `tls` option: the CA certificate (PEM) a client must trust, as written to `DIR/ca.pem`. */
  readonly caPem: string | undefined;
  readonly port: number;
  close(): Promise<void>;
  /** Fails the next `count` API requests with a 5xx (default 503), optionally with `Retry-After`. */
  failNext(options: FailureFaultOptions): void;
  /** Answers the next `count` API requests as rate-limited (403 or 429, `x-ratelimit-remaining: 0`). */
  rateLimitNext(options: RateLimitFaultOptions): void;
  /** Delays every API request by `ms` before answering. */
  setLatency(ms: number): void;
  /** Sets the sim's clock to the injected clock plus `seconds` (negative: behind). */
  skewClock(seconds: number): void;
  readonly profile: SimProfile;
  /** Revokes an app's key: its JWTs and installation tokens are refused. False when no such app. */
  revokeApp(appId: number): boolean;
  /** Creates a private App with one key and one installation on the account (the settings page's "New GitHub App"). */
  createApp(account: { type: AccountType; login: string }): Promise<SimCreatedApp>;
  /** The Apps the cloud holds, as the settings pages list them (e.g. to find an App a killed manifest flow left). */
  listApps(): SimListedApp[];
  /** "Generate a private key": undefined when no such App; throws a RangeError at 25 keys. */
  addAppKey(appId: number): Promise<{ keyId: number; pem: string; fingerprint: string } | undefined>;
  /** The App's keys as the settings page lists them (id and fingerprint); undefined when no such App. */
  listAppKeys(appId: number): { keyId: number; fingerprint: string }[] | undefined;
  /** Deletes one key: false when no such App or key; throws a RangeError for the App's last key. */
  deleteAppKey(appId: number, keyId: number): boolean;
  /** "Delete GitHub App" (settings page, Advanced): the App, its installations and tokens. False when no such App. */
  deleteApp(appId: number): boolean;
  resetFaults(): void;
  /** An admin token this sim accepts for `/connect/records`. */
  createAdminToken(): string;
  /** A manifest code not tied to a record, as the manifest flow's redirect would give. */
  createManifestCode(account: { type: AccountType; login: string }): string;
  /** The sim's current (skewed) time in ms. */
  now(): number;
  requests(): readonly SimRequestLogEntry[];
  counters(): SimStats;
}

// One signing key per process for the JWT part of stateless tokens: generating
// a 2048-bit key per sim start would slow every test for nothing.
let tokenSigningKey: KeyObject | undefined;

function authKind(request: SimRequest): SimRequestLogEntry["auth"] {
  const value = request.headers.authorization ?? "";
  if (value === "") return "none";
  return value.split(".").length === 3 ? "jwt" : "token";
}

function loggedPath(path: string): string {
  // The manifest code is a one-hour credential: keep it out of the log.
  return path.replace(/^\/app-manifests\/[^/]+/, "/app-manifests/:code");
}

/** Starts the GitHub API simulator on 127.0.0.1. Resolves once it listens. */
export async function startGitHubSim(options: GitHubSimOptions = {}): Promise<GitHubSim> {
  // Local defaults on purpose: the simulator stands for the cloud and depends on no package of ours (eslint.config.js `order`),
  // so it cannot take connection-core's systemClock; tests inject `now` and `sleep`.
  const clock = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const faults = new FaultPlan();
  const state = new SimState();
  const counters = emptyCounters();
  const log: SimRequestLogEntry[] = [];
  const rateLimit = new RateLimitWindow();
  const context: SimContext = {
    state,
    profile: options.profile ?? "ghes-connect",
    counters,
    faults,
    nowMs: () => clock() + faults.skewSeconds * 1000,
    defaultTokenFormat: options.tokenFormat ?? "stateless",
    tokenSigningKey: (tokenSigningKey ??= generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey),
    isAdminToken: (token) =>
      options.adminToken === undefined ? looksLikeAdminToken(token) : token === options.adminToken,
  };

  async function answerApi(request: SimRequest): Promise<SimResponse> {
    if (faults.latencyMs > 0) await sleep(faults.latencyMs);
    counters.requests += 1;
    const nowSeconds = Math.floor(context.nowMs() / 1000);
    const fault = faults.take();
    if (fault !== undefined) counters.faultsInjected += 1;
    if (fault?.kind === "fail") {
      const headers: Record<string, string> =
        fault.retryAfterSeconds === undefined ? {} : { "retry-after": String(fault.retryAfterSeconds) };
      return errorResponse(fault.status, "Server Error", "", headers);
    }
    if (fault?.kind === "rate-limit") {
      const headers: Record<string, string> = rateLimit.exhaustedHeaders(nowSeconds + fault.resetInSeconds);
      if (fault.retryAfterSeconds !== undefined) headers["retry-after"] = String(fault.retryAfterSeconds);
      const message =
        fault.status === 429
          ? "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."
          : "API rate limit exceeded.";
      return errorResponse(fault.status, message, "/overview/rate-limits-for-the-rest-api", headers);
    }
    return (
      (await routeApps(context, request)) ??
      routeInstallation(context, request) ??
      routeConnect(context, request) ??
      routeUser(context, request) ??
      errorResponse(404, "Not Found")
    );
  }

  async function handle(incoming: IncomingMessage, outgoing: ServerResponse): Promise<void> {
    const request = await readSimRequest(incoming);
    // The manifest flow's settings page is the web host, not the API: like the control routes, never faulted or logged.
    const isControl = request.segments[0] === "_sim" || isManifestFormRoute(request);
    let response: SimResponse;
    try {
      response =
        request.segments[0] === "_sim"
          ? await routeControl(sim, request)
          : isManifestFormRoute(request)
            ? answerManifestForm(context, request)
            : await answerApi(request);
    } catch {
      // Like GitHub: a failing handler answers 500 and the server stays up; the request log records the 500.
      response = errorResponse(500, "Server Error");
    }
    const nowMs = context.nowMs();
    const headers: Record<string, string> = {
      date: new Date(nowMs).toUTCString(),
      "x-github-request-id": `SIM:${counters.requests}`,
      ...(isControl ? {} : rateLimit.headers(Math.floor(nowMs / 1000))),
      ...response.headers,
    };
    const body = response.body === undefined ? undefined : JSON.stringify(response.body);
    if (body !== undefined) headers["content-type"] = "application/json; charset=utf-8";
    outgoing.writeHead(response.status, headers);
    outgoing.end(body);
    if (!isControl) {
      log.push({
        method: request.method,
        path: loggedPath(request.path),
        status: response.status,
        at: new Date(nowMs).toISOString(),
        auth: authKind(request),
      });
    }
  }

  const listener = (incoming: IncomingMessage, outgoing: ServerResponse) => {
    handle(incoming, outgoing).catch(() => outgoing.destroy());
  };
  const tls = options.tls === undefined ? undefined : await createSimTlsMaterial(options.tls);
  const server =
    tls === undefined ? createServer(listener) : createHttpsServer({ key: tls.keyPem, cert: tls.certPem }, listener);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }));

  const sim: GitHubSim = {
    url: `${tls === undefined ? "http" : "https"}://127.0.0.1:${port}`,
    port,
    caPem: tls?.caPem,
    profile: context.profile,
    close,
    [Symbol.asyncDispose]: close,
    failNext: (fault) => faults.failNext(fault),
    rateLimitNext: (fault) => faults.rateLimitNext(fault),
    setLatency: (ms) => {
      faults.latencyMs = Math.max(0, ms);
    },
    skewClock: (seconds) => {
      faults.skewSeconds = seconds;
    },
    revokeApp: (appId) => {
      const app = state.apps.get(appId);
      if (app === undefined) return false;
      app.keyRevoked = true;
      return true;
    },
    createApp: async (account) => {
      const created = await state.createApp(state.accountFor(account.type, account.login), undefined, context.nowMs());
      counters.appsCreated += 1;
      const { app, installation, keyId, pem } = created;
      return { id: app.id, slug: app.slug, installationId: installation.id, keyId, pem };
    },
    listApps: () =>
      [...state.apps.values()].map((app) => ({
        id: app.id,
        slug: app.slug,
        name: app.name,
        owner: `${app.owner.type}:${app.owner.login}`,
        createdAt: app.createdAt,
      })),
    addAppKey: async (appId) => {
      const app = state.apps.get(appId);
      return app === undefined ? undefined : state.addKey(app);
    },
    listAppKeys: (appId) => {
      const app = state.apps.get(appId);
      return app === undefined
        ? undefined
        : [...app.keys.values()].map((key) => ({ keyId: key.id, fingerprint: key.fingerprint }));
    },
    deleteAppKey: (appId, keyId) => {
      const app = state.apps.get(appId);
      return app !== undefined && state.deleteKey(app, keyId);
    },
    deleteApp: (appId) => {
      if (!state.deleteApp(appId)) return false;
      counters.appsDeleted += 1;
      return true;
    },
    resetFaults: () => faults.reset(),
    createAdminToken: () => options.adminToken ?? newAdminToken(),
    createManifestCode: (account) =>
      state.createManifestCode(state.accountFor(account.type, account.login), undefined, context.nowMs()),
    now: () => context.nowMs(),
    requests: () => [...log],
    counters: () => ({
      ...counters,
      apps: state.apps.size,
      installations: state.installations.size,
      records: state.records.size,
      usableTokens: [...state.tokens.values()].filter((token) => state.isTokenUsable(token, context.nowMs())).length,
    }),
  };
  return sim;
}
