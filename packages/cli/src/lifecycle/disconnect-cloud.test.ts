import { createCloudClient, type CloudClient } from "@connect-ops/connection-core";
import { startGitHubSim, type GitHubSim } from "@connect-ops/github-sim";
import { afterEach, describe, expect, it } from "vitest";
import { runCloudStep, type CloudSecrets, type CloudStepPorts } from "./disconnect-cloud.js";
import type { CloudSteps, DisconnectSubject } from "./disconnect-journal.js";

// runCloudStep against the real simulator and the real cloud client, in both profiles; the shim is a fetch
// that answers 404 for the Connect surface, as a proxy that answers like github.com would.

let sim: GitHubSim | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

function clientFor(cloud: GitHubSim, options: { shim?: boolean } = {}): CloudClient {
  const shim: typeof fetch = async (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    const method = init?.method ?? "GET";
    const hidden = /^\/connect\/records/.test(url.pathname) || (url.pathname === "/app" && method === "DELETE");
    if (hidden) {
      return new Response(JSON.stringify({ message: "Not Found" }), {
        status: 404,
        headers: { "content-type": "application/json" },
      });
    }
    return fetch(input, init);
  };
  return createCloudClient({
    baseUrl: cloud.url,
    adminToken: cloud.createAdminToken(),
    ...(options.shim === true ? { deps: { fetch: shim } } : {}),
  });
}

interface Connected {
  readonly subject: DisconnectSubject;
  readonly secrets: CloudSecrets;
}

/** A connection as `connect` makes it (ghes-connect: record + manifest) or `adopt` takes it (github.com: an App made in the settings page). */
async function connectOn(cloud: GitHubSim, client: CloudClient): Promise<Connected> {
  if (cloud.profile === "github.com") {
    const app = await cloud.createApp({ type: "organization", login: "octo-org" });
    const auth = { appId: app.id, privateKeyPem: app.pem, slug: app.slug };
    const { token } = await client.mintInstallationToken(auth, app.installationId);
    return {
      subject: { cloudUrl: cloud.url, appId: app.id, appSlug: app.slug, installationId: app.installationId },
      secrets: { app: auth, token },
    };
  }
  const registered = await client.registerConnection({
    hostname: "ghes.example.com",
    ghesVersion: "3.17.2",
    licensePublicKey: "-----BEGIN PUBLIC KEY-----\nMFkw\n-----END PUBLIC KEY-----\n",
    licenseHash: "c".repeat(64),
    customerName: "Example Corp",
    account: { type: "organization", login: "octo-org" },
  });
  const converted = await client.convertManifest(registered.manifestCode);
  const auth = { appId: converted.appId, privateKeyPem: converted.privateKeyPem, slug: converted.slug };
  const installationId = (await client.findInstallation(auth, "octo-org")) ?? 0;
  const { token } = await client.mintInstallationToken(auth, installationId);
  return {
    subject: {
      cloudUrl: cloud.url,
      appId: converted.appId,
      appSlug: converted.slug,
      installationId,
      recordId: registered.recordId,
    },
    secrets: { app: auth, token },
  };
}

function ports(client: CloudClient, saved: CloudSteps[], crashAt?: string): CloudStepPorts {
  return {
    client,
    hasAdminToken: true,
    now: () => Date.now(),
    save: (steps) => {
      saved.push(steps);
      return Promise.resolve();
    },
    crash: (point) => {
      if (point === crashAt) throw new Error(`crash at ${point}`);
    },
  };
}

describe("runCloudStep (ghes-connect)", () => {
  it("deletes the record (the App goes with it) and proves both credentials refused, with status and time", async () => {
    sim = await startGitHubSim();
    const client = clientFor(sim);
    const { subject, secrets } = await connectOn(sim, client);
    const steps = await runCloudStep(subject, secrets, {}, ports(client, []));
    expect(steps).toMatchObject({
      tokenRevoke: { result: "revoked" },
      installation: { result: "deleted" },
      recordSeen: { as: "admin" },
      record: { result: "deleted" },
      app: { result: "refused" },
      proofs: {
        appKey: { credential: "app-jwt", request: "GET /app", status: 401 },
        token: { credential: "installation-token", status: 401 },
      },
    });
    expect(Date.parse(steps.proofs?.appKey?.at ?? "")).not.toBeNaN();
    expect(steps.completedAt).toBeDefined();
    expect(sim.counters()).toMatchObject({ apps: 0, records: 0 });
  });

  it("after a crash between the record delete and its journal write, a 404 for the record it saw counts as gone", async () => {
    sim = await startGitHubSim();
    const client = clientFor(sim);
    const { subject, secrets } = await connectOn(sim, client);
    const saved: CloudSteps[] = [];
    await expect(runCloudStep(subject, secrets, {}, ports(client, saved, "disconnect:record-deleted"))).rejects.toThrow(
      /crash/,
    );
    const recorded = saved.at(-1) ?? {};
    expect(recorded.record).toBeUndefined();
    expect(recorded.recordSeen).toBeDefined();
    const steps = await runCloudStep(subject, secrets, recorded, ports(client, saved));
    expect(steps.record?.result).toBe("already-gone");
    expect(steps.completedAt).toBeDefined();
  });

  it("the shim: a cloud that answers 404 for the Connect records and DELETE /app never yields 'deleted'", async () => {
    sim = await startGitHubSim();
    const { subject, secrets } = await connectOn(sim, clientFor(sim));
    const steps = await runCloudStep(subject, secrets, {}, ports(clientFor(sim, { shim: true }), []));
    expect(steps.record?.result).toBe("unsupported");
    expect(steps.app?.result).toBe("pending-person");
    expect(steps.completedAt).toBeUndefined();
    expect(steps.proofs?.appKey).toBeUndefined();
    expect(sim.counters()).toMatchObject({ apps: 1, records: 1 });
  });
});

describe("runCloudStep (github.com)", () => {
  it("stops at the App-deletion step with the settings-page URL, then completes once a person deleted the App", async () => {
    sim = await startGitHubSim({ profile: "github.com" });
    const client = clientFor(sim);
    const { subject, secrets } = await connectOn(sim, client);
    const first = await runCloudStep(subject, secrets, {}, ports(client, []));
    expect(first).toMatchObject({
      tokenRevoke: { result: "revoked" },
      installation: { result: "deleted" },
      record: { result: "none" },
      app: { result: "pending-person" },
    });
    expect(first.completedAt).toBeUndefined();
    expect(first.appDeletion?.url).toBe(`${sim.url}/organizations/octo-org/settings/apps/${subject.appSlug}/advanced`);
    expect(first.appDeletion?.instructions).toMatch(/Delete GitHub App/);
    const again = await runCloudStep(subject, secrets, first, ports(client, []));
    expect(again.completedAt).toBeUndefined();
    expect(sim.deleteApp(subject.appId)).toBe(true);
    const done = await runCloudStep(subject, secrets, again, ports(client, []));
    expect(done).toMatchObject({
      app: { result: "deleted" },
      proofs: { appKey: { status: 401 }, token: { status: 401 } },
    });
    expect(done.appDeletion).toBeUndefined();
    expect(done.completedAt).toBeDefined();
  });
});
