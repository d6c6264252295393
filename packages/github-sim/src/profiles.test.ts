import { createHash, createPublicKey } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { startGitHubSim, type GitHubSim } from "./start-github-sim.js";
import { api, appJwt, LICENSE_RECORD } from "./test-support/http.js";

let sim: GitHubSim | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

async function start(profile: "ghes-connect" | "github.com"): Promise<GitHubSim> {
  sim = await startGitHubSim({ profile });
  return sim;
}

/** `POST /_sim/apps` as a person creating a private App in the settings page. */
async function createApp(cloud: GitHubSim, account = "organization:octo-org") {
  const created = await api(cloud.url, "POST", "/_sim/apps", { body: { account } });
  expect(created.status).toBe(201);
  return created.body as { id: number; slug: string; installationId: number; keyId: number; pem: string };
}

describe("github-sim --profile github.com", () => {
  it("offers no Connect-record API and no DELETE /app: both answer 404 and delete nothing", async () => {
    const cloud = await start("github.com");
    const admin = `Bearer ${cloud.createAdminToken()}`;
    expect((await api(cloud.url, "POST", "/connect/records", { auth: admin, body: LICENSE_RECORD })).status).toBe(404);
    expect((await api(cloud.url, "GET", "/connect/records/1", { auth: admin })).status).toBe(404);
    const app = await createApp(cloud);
    const jwt = appJwt(app.id, app.pem, Date.now());
    expect((await api(cloud.url, "DELETE", "/app", { auth: jwt })).status).toBe(404);
    expect((await api(cloud.url, "GET", "/app", { auth: appJwt(app.id, app.pem, Date.now()) })).status).toBe(200);
    expect(cloud.counters()).toMatchObject({ apps: 1, appsDeleted: 0, records: 0 });
  });

  it("answers 404 for a private App's page without its credentials, whether or not it exists", async () => {
    const cloud = await start("github.com");
    const app = await createApp(cloud);
    expect((await api(cloud.url, "GET", `/apps/${app.slug}`)).status).toBe(404);
    expect((await api(cloud.url, "GET", "/apps/no-such-app")).status).toBe(404);
    const own = await api(cloud.url, "GET", `/apps/${app.slug}`, { auth: appJwt(app.id, app.pem, Date.now()) });
    expect(own.status).toBe(200);
    expect(own.body["id"]).toBe(app.id);
  });

  it("creates a private App with one installation whose PEM mints tokens", async () => {
    const cloud = await start("github.com");
    const app = await createApp(cloud, "enterprise:acme");
    expect(app.pem).toMatch(/^-----BEGIN RSA PRIVATE KEY-----\n/);
    const installations = await api(cloud.url, "GET", "/app/installations", {
      auth: appJwt(app.id, app.pem, Date.now()),
    });
    expect(installations.body).toMatchObject([
      { id: app.installationId, account: { login: "acme", type: "Enterprise" } },
    ]);
    const mint = await api(cloud.url, "POST", `/app/installations/${app.installationId}/access_tokens`, {
      auth: appJwt(app.id, app.pem, Date.now()),
    });
    expect(mint.status).toBe(201);
  });

  it("lists the Apps it holds over GET /_sim/apps (ids, names, owner; never a key), a deleted one gone", async () => {
    const cloud = await start("github.com");
    expect((await api(cloud.url, "GET", "/_sim/apps")).body).toEqual([]);
    const first = await createApp(cloud);
    const second = await createApp(cloud, "enterprise:acme");
    const listed = await api(cloud.url, "GET", "/_sim/apps");
    expect(listed.status).toBe(200);
    expect(listed.body).toMatchObject([
      { id: first.id, slug: first.slug, owner: "organization:octo-org" },
      { id: second.id, slug: second.slug, owner: "enterprise:acme" },
    ]);
    expect(JSON.stringify(listed.body)).not.toContain("PRIVATE KEY");
    expect(cloud.deleteApp(first.id)).toBe(true);
    expect(cloud.listApps().map((app) => app.id)).toEqual([second.id]);
  });

  it("refuses a malformed account with 422", async () => {
    const cloud = await start("github.com");
    expect((await api(cloud.url, "POST", "/_sim/apps", { body: { account: "octo-org" } })).status).toBe(422);
  });
});

describe("github-sim /_sim App keys and deletion (both profiles)", () => {
  it.each(["ghes-connect", "github.com"] as const)(
    "%s: a second key authenticates with GitHub's fingerprint; a deleted key stops; at most 25 keys; the last key stays",
    async (profile) => {
      const cloud = await start(profile);
      const app = await createApp(cloud);
      const added = await api(cloud.url, "POST", `/_sim/apps/${app.id}/keys`);
      expect(added.status).toBe(201);
      const second = added.body as { keyId: number; pem: string; fingerprint: string };
      const der = createPublicKey(second.pem).export({ type: "spki", format: "der" });
      expect(second.fingerprint).toBe(`SHA256:${createHash("sha256").update(der).digest("base64")}`);
      const listed = await api(cloud.url, "GET", `/_sim/apps/${app.id}/keys`);
      expect(listed.body).toEqual([
        { keyId: app.keyId, fingerprint: expect.stringMatching(/^SHA256:/) as unknown },
        { keyId: second.keyId, fingerprint: second.fingerprint },
      ]);
      const getApp = (pem: string) => api(cloud.url, "GET", "/app", { auth: appJwt(app.id, pem, Date.now()) });
      expect((await getApp(second.pem)).status).toBe(200);
      expect((await api(cloud.url, "DELETE", `/_sim/apps/${app.id}/keys/${app.keyId}`)).status).toBe(204);
      expect((await getApp(app.pem)).status).toBe(401);
      expect((await getApp(second.pem)).status).toBe(200);
      const last = await api(cloud.url, "DELETE", `/_sim/apps/${app.id}/keys/${second.keyId}`);
      expect(last.status).toBe(422);
      for (let count = 1; count < 25; count += 1) {
        expect((await api(cloud.url, "POST", `/_sim/apps/${app.id}/keys`)).status).toBe(201);
      }
      const over = await api(cloud.url, "POST", `/_sim/apps/${app.id}/keys`);
      expect(over.status).toBe(422);
      expect(over.body.message).toMatch(/25/);
      expect((await api(cloud.url, "DELETE", `/_sim/apps/${app.id}/keys/999999`)).status).toBe(404);
    },
    60_000,
  );

  it.each(["ghes-connect", "github.com"] as const)(
    "%s: DELETE /_sim/apps/{id} deletes the App: its JWT gets 401 and its installation tokens 401",
    async (profile) => {
      const cloud = await start(profile);
      const app = await createApp(cloud);
      const mint = await api(cloud.url, "POST", `/app/installations/${app.installationId}/access_tokens`, {
        auth: appJwt(app.id, app.pem, Date.now()),
      });
      const token = String(mint.body["token"]);
      expect((await api(cloud.url, "DELETE", `/_sim/apps/${app.id}`)).status).toBe(204);
      expect((await api(cloud.url, "GET", "/app", { auth: appJwt(app.id, app.pem, Date.now()) })).status).toBe(401);
      expect((await api(cloud.url, "GET", "/installation/repositories", { auth: `token ${token}` })).status).toBe(401);
      expect((await api(cloud.url, "DELETE", `/_sim/apps/${app.id}`)).status).toBe(404);
      expect(cloud.counters()).toMatchObject({ apps: 0, installations: 0, appsDeleted: 1 });
    },
  );

  it("ghes-connect keeps the Connect surface and public App pages", async () => {
    const cloud = await start("ghes-connect");
    const app = await createApp(cloud);
    expect((await api(cloud.url, "GET", `/apps/${app.slug}`)).status).toBe(200);
    expect((await api(cloud.url, "DELETE", "/app", { auth: appJwt(app.id, app.pem, Date.now()) })).status).toBe(204);
    expect(cloud.profile).toBe("ghes-connect");
  });
});
