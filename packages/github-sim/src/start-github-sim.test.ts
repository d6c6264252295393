import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startGitHubSim, type GitHubSim } from "./start-github-sim.js";
import { api, appJwt, LICENSE_RECORD } from "./test-support/http.js";

const START = Date.parse("2026-05-01T12:00:00Z");
let clock = START;
let sim: GitHubSim;

beforeEach(async () => {
  clock = START;
  sim = await startGitHubSim({ now: () => clock });
});
afterEach(async () => {
  await sim.close();
});

async function connectedApp(headers: Record<string, string> = {}) {
  const admin = `Bearer ${sim.createAdminToken()}`;
  const record = await api(sim.url, "POST", "/connect/records", { auth: admin, body: LICENSE_RECORD });
  const converted = await api(sim.url, "POST", `/app-manifests/${String(record.body["manifest_code"])}/conversions`);
  const appId = converted.body["id"] as number;
  const pem = converted.body["pem"] as string;
  const jwt = () => appJwt(appId, pem, clock);
  const installations = await api(sim.url, "GET", "/app/installations", { auth: jwt() });
  const installationId = (installations.body as unknown as { id: number }[])[0]?.id as number;
  const mint = await api(sim.url, "POST", `/app/installations/${installationId}/access_tokens`, {
    auth: jwt(),
    headers,
  });
  return { admin, record, converted, appId, pem, jwt, installationId, mint, token: mint.body["token"] as string };
}

describe("startGitHubSim", () => {
  it("converts a manifest code once into an app with a PKCS#1 2048-bit key, installed on the record's account", async () => {
    const { record, converted, installationId } = await connectedApp();
    expect(record.status).toBe(201);
    expect(converted.status).toBe(201);
    for (const field of ["slug", "node_id", "client_id"]) expect(typeof converted.body[field], field).toBe("string");
    expect(converted.body["pem"]).toMatch(/^-----BEGIN RSA PRIVATE KEY-----\n/);
    expect(converted.body["owner"]).toMatchObject({ login: "octo-org", type: "Organization" });
    expect(installationId).toBeGreaterThan(0);
    const again = await api(sim.url, "POST", `/app-manifests/${String(record.body["manifest_code"])}/conversions`);
    expect(again.status).toBe(404);
    expect(sim.counters()).toMatchObject({ apps: 1, installations: 1, records: 1, appsCreated: 1 });
  });

  it("refuses a manifest code after one hour", async () => {
    const code = sim.createManifestCode({ type: "organization", login: "octo-org" });
    clock += 60 * 60 * 1000;
    expect((await api(sim.url, "POST", `/app-manifests/${code}/conversions`)).status).toBe(404);
  });

  it("mints ghs_<APPID>_<JWT> tokens by default and classic 40-character ones on request", async () => {
    const { token, appId, mint, jwt, installationId } = await connectedApp();
    expect(token.startsWith(`ghs_${appId}_`)).toBe(true);
    expect(token.length).toBeGreaterThan(300);
    expect(token.slice(`ghs_${appId}_`.length).split(".")).toHaveLength(3);
    expect(mint.body["expires_at"]).toBe("2026-05-01T13:00:00Z");
    const classic = await api(sim.url, "POST", `/app/installations/${installationId}/access_tokens`, {
      auth: jwt(),
      headers: { "X-GitHub-Stateless-S2S-Token": "disabled" },
    });
    expect(classic.body["token"]).toMatch(/^ghs_[A-Za-z0-9]{36}$/);
  });

  it("honours the tokenFormat option", async () => {
    await sim.close();
    sim = await startGitHubSim({ now: () => clock, tokenFormat: "classic" });
    expect((await connectedApp()).token).toMatch(/^ghs_[A-Za-z0-9]{36}$/);
  });

  it("refuses an installation token after one hour on the sim clock", async () => {
    const { token } = await connectedApp();
    clock += 60 * 60 * 1000 - 1000;
    expect((await api(sim.url, "GET", "/installation/repositories", { auth: `token ${token}` })).status).toBe(200);
    clock += 1000;
    const expired = await api(sim.url, "GET", "/installation/repositories", { auth: `token ${token}` });
    expect(expired.status).toBe(401);
    expect(expired.body).toEqual({ message: "Bad credentials", documentation_url: "https://docs.github.com/rest" });
  });

  it("revokes the calling token with DELETE /installation/token", async () => {
    const { token } = await connectedApp();
    expect((await api(sim.url, "DELETE", "/installation/token", { auth: `token ${token}` })).status).toBe(204);
    expect((await api(sim.url, "GET", "/installation/repositories", { auth: `Bearer ${token}` })).status).toBe(401);
    expect((await api(sim.url, "DELETE", "/installation/token", { auth: `token ${token}` })).status).toBe(401);
  });

  it("answers JWT failures with 401 and GitHub's messages", async () => {
    const { appId, pem } = await connectedApp();
    const early = await api(sim.url, "GET", "/app", { auth: appJwt(appId, pem, clock + 5 * 60 * 1000) });
    expect(early.status).toBe(401);
    expect(early.body["message"]).toMatch(/'Issued at' claim/);
    const garbage = await api(sim.url, "GET", "/app", { auth: "Bearer abc.def.ghi" });
    expect(garbage.body["message"]).toBe("A JSON web token could not be decoded");
    expect((await api(sim.url, "GET", "/app")).status).toBe(401);
  });

  it("deletes installations and apps, which invalidates their tokens and hides the slug", async () => {
    const { converted, jwt, installationId, token } = await connectedApp();
    expect((await api(sim.url, "DELETE", `/app/installations/${installationId}`, { auth: jwt() })).status).toBe(204);
    expect((await api(sim.url, "GET", "/installation/repositories", { auth: `token ${token}` })).status).toBe(401);
    const slug = String(converted.body["slug"]);
    expect((await api(sim.url, "GET", `/apps/${slug}`)).status).toBe(200);
    expect((await api(sim.url, "DELETE", "/app", { auth: jwt() })).status).toBe(204);
    expect((await api(sim.url, "GET", `/apps/${slug}`)).status).toBe(404);
    expect((await api(sim.url, "GET", "/app", { auth: jwt() })).status).toBe(401);
  });

  it("reads and deletes connection records with the admin token or the linked app's JWT, cascading to the app", async () => {
    const { admin, record, jwt, token, appId } = await connectedApp();
    const id = String(record.body["id"]);
    const read = await api(sim.url, "GET", `/connect/records/${id}`, { auth: jwt() });
    expect(read.body).toMatchObject({
      hostname: "ghes.example.com",
      app_id: appId,
      account: { type: "organization", login: "octo-org" },
    });
    expect((await api(sim.url, "GET", `/connect/records/${id}`, { auth: "Bearer nope" })).status).toBe(401);
    expect((await api(sim.url, "DELETE", `/connect/records/${id}`, { auth: admin })).status).toBe(204);
    expect(sim.counters()).toMatchObject({ apps: 0, installations: 0, records: 0, usableTokens: 0 });
    expect((await api(sim.url, "GET", "/installation/repositories", { auth: `token ${token}` })).status).toBe(401);
    expect((await api(sim.url, "DELETE", `/connect/records/${id}`, { auth: admin })).status).toBe(404);
  });

  it("returns the same record (200, a fresh manifest code) when one is registered again before its app exists", async () => {
    const admin = `Bearer ${sim.createAdminToken()}`;
    const first = await api(sim.url, "POST", "/connect/records", { auth: admin, body: LICENSE_RECORD });
    const again = await api(sim.url, "POST", "/connect/records", { auth: admin, body: LICENSE_RECORD });
    expect([first.status, again.status]).toEqual([201, 200]);
    expect(again.body["id"]).toBe(first.body["id"]);
    expect(again.body["manifest_code"]).not.toBe(first.body["manifest_code"]);
    expect(sim.counters()).toMatchObject({ recordsCreated: 1, records: 1 });
    const converted = await api(sim.url, "POST", `/app-manifests/${String(again.body["manifest_code"])}/conversions`);
    expect(converted.status).toBe(201);
    const afterApp = await api(sim.url, "POST", "/connect/records", { auth: admin, body: LICENSE_RECORD });
    expect(afterApp.status).toBe(201);
    expect(afterApp.body["id"]).not.toBe(first.body["id"]);
  });

  it("validates record bodies with GitHub's 422 shape and pins the admin token when asked", async () => {
    const admin = `Bearer ${sim.createAdminToken()}`;
    const missing = await api(sim.url, "POST", "/connect/records", {
      auth: admin,
      body: { ...LICENSE_RECORD, hostname: undefined },
    });
    expect(missing.status).toBe(422);
    expect(missing.body["errors"]).toEqual([
      { resource: "ConnectionRecord", field: "hostname", code: "missing_field" },
    ]);
    await sim.close();
    sim = await startGitHubSim({ now: () => clock, adminToken: "ghp_pinnedpinnedpinnedpinnedpinnedpinned" });
    expect(sim.createAdminToken()).toBe("ghp_pinnedpinnedpinnedpinnedpinnedpinned");
    const other = await api(sim.url, "POST", "/connect/records", {
      auth: "Bearer ghp_000000000000000000000000000000000000",
      body: LICENSE_RECORD,
    });
    expect(other.status).toBe(401);
  });

  it("fails the next N requests with the chosen 5xx and Retry-After, then recovers", async () => {
    sim.failNext({ count: 2, status: 502, retryAfterSeconds: 3 });
    const first = await api(sim.url, "GET", "/apps/none");
    expect(first.status).toBe(502);
    expect(first.headers.get("retry-after")).toBe("3");
    expect((await api(sim.url, "GET", "/apps/none")).status).toBe(502);
    expect((await api(sim.url, "GET", "/apps/none")).status).toBe(404);
  });

  it("rate-limits the next N requests with remaining 0 and a reset on the sim clock", async () => {
    sim.rateLimitNext({ count: 1, status: 429, resetInSeconds: 90, retryAfterSeconds: 60 });
    const limited = await api(sim.url, "GET", "/apps/none");
    expect(limited.status).toBe(429);
    expect(limited.headers.get("x-ratelimit-remaining")).toBe("0");
    expect(limited.headers.get("x-ratelimit-reset")).toBe(String(START / 1000 + 90));
    expect(limited.headers.get("retry-after")).toBe("60");
    const normal = await api(sim.url, "GET", "/apps/none");
    expect(Number(normal.headers.get("x-ratelimit-remaining"))).toBeGreaterThan(0);
  });

  it("answers GET /user for an admin token, 403 for an installation token, 401 otherwise", async () => {
    const { admin, token } = await connectedApp();
    const user = await api(sim.url, "GET", "/user", { auth: admin });
    expect(user.status).toBe(200);
    expect(user.body["login"]).toBe("sim-admin");
    expect((await api(sim.url, "GET", "/user", { auth: `token ${token}` })).status).toBe(403);
    expect((await api(sim.url, "GET", "/user", { auth: "Bearer ghp_wrongwrong" })).status).toBe(401);
    expect((await api(sim.url, "GET", "/user")).status).toBe(401);
  });

  it("skews its Date header and JWT checks by the skew knob", async () => {
    const { appId, pem } = await connectedApp();
    sim.skewClock(-300);
    const answer = await api(sim.url, "GET", "/app", { auth: appJwt(appId, pem, clock) });
    expect(Date.parse(answer.headers.get("date") ?? "")).toBe(START - 300_000);
    expect(answer.status).toBe(401);
    expect((await api(sim.url, "GET", "/app", { auth: appJwt(appId, pem, clock - 300_000) })).status).toBe(200);
  });

  it("waits the latency knob through the injected sleeper", async () => {
    const waits: number[] = [];
    await sim.close();
    sim = await startGitHubSim({
      now: () => clock,
      sleep: (ms) => {
        waits.push(ms);
        return Promise.resolve();
      },
    });
    sim.setLatency(250);
    await api(sim.url, "GET", "/apps/none");
    expect(waits).toEqual([250]);
  });

  it("revokes an app: its JWTs and tokens are refused", async () => {
    const { appId, jwt, token } = await connectedApp();
    expect(sim.revokeApp(appId)).toBe(true);
    expect((await api(sim.url, "GET", "/app", { auth: jwt() })).status).toBe(401);
    expect((await api(sim.url, "GET", "/installation/repositories", { auth: `token ${token}` })).status).toBe(401);
  });

  it("logs method, path and status but never the Authorization value or the manifest code", async () => {
    const { admin, token, record } = await connectedApp();
    const text = JSON.stringify(sim.requests());
    expect(text).not.toContain(token);
    expect(text).not.toContain(admin.slice(7));
    expect(text).not.toContain(String(record.body["manifest_code"]));
    expect(sim.requests()[1]).toMatchObject({ method: "POST", path: "/app-manifests/:code/conversions", status: 201 });
  });

  it("exposes knobs and introspection under /_sim for child-process tests", async () => {
    expect((await api(sim.url, "POST", "/_sim/faults/fail", { body: { count: 1, status: 500 } })).status).toBe(204);
    expect((await api(sim.url, "GET", "/apps/none")).status).toBe(500);
    const counters = await api(sim.url, "GET", "/_sim/counters");
    expect(counters.body).toMatchObject({ requests: 1, faultsInjected: 1 });
    const log = await api(sim.url, "GET", "/_sim/log");
    expect(log.body["requests"]).toHaveLength(1);
    const admin = await api(sim.url, "POST", "/_sim/admin-token");
    expect(admin.body["token"]).toMatch(/^ghp_/);
    expect((await api(sim.url, "POST", "/_sim/clock/skew", { body: { seconds: 60 } })).status).toBe(204);
    expect(sim.now()).toBe(START + 60_000);
    expect((await api(sim.url, "POST", "/_sim/apps/999/revoke")).status).toBe(404);
  });

  it("sends a Date header and x-ratelimit headers on every response", async () => {
    const answer = await api(sim.url, "GET", "/nowhere");
    expect(answer.status).toBe(404);
    expect(answer.headers.get("date")).toBe(new Date(START).toUTCString());
    expect(answer.headers.get("x-ratelimit-limit")).toBe("5000");
    expect(answer.headers.get("x-ratelimit-resource")).toBe("core");
  });
});
