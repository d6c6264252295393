import { afterEach, describe, expect, it } from "vitest";
import type { SimProfile } from "./sim-context.js";
import { startGitHubSim, type GitHubSim } from "./start-github-sim.js";
import { api, appJwt } from "./test-support/http.js";

const START = Date.parse("2026-05-01T12:00:00Z");
let clock = START;
const sims: GitHubSim[] = [];
afterEach(async () => {
  await Promise.all(sims.splice(0).map((sim) => sim.close()));
  clock = START;
});

async function simFor(profile: SimProfile): Promise<GitHubSim> {
  const sim = await startGitHubSim({ now: () => clock, profile });
  sims.push(sim);
  return sim;
}

const MANIFEST = {
  name: "connect-ops octo-org",
  url: "https://ghes.example.com",
  redirect_url: "http://127.0.0.1:9/callback",
  public: false,
  hook_attributes: { url: "https://ghes.example.com/hook", active: false },
};

/** POSTs the manifest form as a browser does (urlencoded), without following the redirect. */
function postForm(sim: GitHubSim, path: string, fields: Record<string, string>): Promise<Response> {
  return fetch(`${sim.url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(fields).toString(),
    redirect: "manual",
  });
}

describe("the App-manifest flow's settings page", () => {
  for (const profile of ["ghes-connect", "github.com"] as const) {
    it(`redirects to redirect_url with a one-time code and the state, and the code converts once (${profile})`, async () => {
      const sim = await simFor(profile);
      const answer = await postForm(sim, "/organizations/octo-org/settings/apps/new?state=s-123", {
        manifest: JSON.stringify(MANIFEST),
      });
      expect(answer.status).toBe(302);
      const location = new URL(answer.headers.get("location") ?? "");
      expect(`${location.origin}${location.pathname}`).toBe("http://127.0.0.1:9/callback");
      expect(location.searchParams.get("state")).toBe("s-123");
      const code = location.searchParams.get("code") ?? "";
      expect(code).toMatch(/^[0-9a-f]{20}$/);
      const converted = await api(sim.url, "POST", `/app-manifests/${code}/conversions`);
      expect(converted.status).toBe(201);
      expect(converted.body).toMatchObject({
        name: "connect-ops octo-org",
        owner: { login: "octo-org", type: "Organization" },
        client_id: expect.any(String) as unknown,
        client_secret: expect.any(String) as unknown,
        webhook_secret: expect.any(String) as unknown,
        pem: expect.stringContaining("-----BEGIN RSA PRIVATE KEY-----") as unknown,
      });
      expect(String(converted.body["slug"])).toMatch(/^connect-ops-octo-org-\d+$/);
      const installations = await api(sim.url, "GET", "/app/installations", {
        auth: appJwt(converted.body["id"] as number, converted.body["pem"] as string, clock),
      });
      expect(installations.body).toMatchObject([{ account: { login: "octo-org" } }]);
      expect((await api(sim.url, "POST", `/app-manifests/${code}/conversions`)).status).toBe(404);
    });
  }

  it("takes state as a form field and serves enterprises too", async () => {
    const sim = await simFor("github.com");
    const answer = await postForm(sim, "/enterprises/acme/settings/apps/new", {
      manifest: JSON.stringify(MANIFEST),
      state: "field-state",
    });
    const location = new URL(answer.headers.get("location") ?? "");
    expect(location.searchParams.get("state")).toBe("field-state");
    const converted = await api(
      sim.url,
      "POST",
      `/app-manifests/${location.searchParams.get("code") ?? ""}/conversions`,
    );
    expect(converted.body).toMatchObject({ owner: { login: "acme", type: "Enterprise" } });
  });

  it("lets the code expire after one hour", async () => {
    const sim = await simFor("github.com");
    const answer = await postForm(sim, "/organizations/octo-org/settings/apps/new", {
      manifest: JSON.stringify(MANIFEST),
    });
    const code = new URL(answer.headers.get("location") ?? "").searchParams.get("code") ?? "";
    clock += 60 * 60 * 1000;
    expect((await api(sim.url, "POST", `/app-manifests/${code}/conversions`)).status).toBe(404);
  });

  it.each([
    ["no manifest", {}],
    ["a manifest that is not JSON", { manifest: "{name:" }],
    ["a manifest without url", { manifest: JSON.stringify({ ...MANIFEST, url: undefined }) }],
    ["a manifest without redirect_url", { manifest: JSON.stringify({ ...MANIFEST, redirect_url: undefined }) }],
    ["a javascript: redirect_url", { manifest: JSON.stringify({ ...MANIFEST, redirect_url: "javascript:alert(1)" }) }],
  ])("answers 422 for %s, and creates no App", async (_name, fields: Record<string, string>) => {
    const sim = await simFor("github.com");
    const answer = await postForm(sim, "/organizations/octo-org/settings/apps/new", fields);
    expect(answer.status).toBe(422);
    expect(sim.counters().apps).toBe(0);
  });

  it("is not an API request: never faulted, counted or logged", async () => {
    const sim = await simFor("github.com");
    sim.failNext({ count: 1, status: 503 });
    const answer = await postForm(sim, "/organizations/octo-org/settings/apps/new", {
      manifest: JSON.stringify(MANIFEST),
    });
    expect(answer.status).toBe(302);
    expect(sim.requests()).toEqual([]);
    expect(sim.counters().requests).toBe(0);
  });
});
