import { startGitHubSim, type GitHubSim } from "@connect-ops/github-sim";
import { anyNumber } from "@connect-ops/test-support";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CoreError } from "../errors.js";
import type { AppAuth, CloudClient, ConnectionRecordInput } from "./cloud-types.js";
import { createCloudClient } from "./create-cloud-client.js";

const START = Date.parse("2026-05-01T12:00:00Z");
let clock = START;
let waits: number[] = [];
let sim: GitHubSim;
let client: CloudClient;

const RECORD: ConnectionRecordInput = {
  hostname: "ghes.example.com",
  ghesVersion: "3.17.2",
  licensePublicKey: "-----BEGIN PUBLIC KEY-----\nMFkw\n-----END PUBLIC KEY-----\n",
  licenseHash: "b".repeat(64),
  customerName: "Example Corp",
  account: { type: "organization", login: "octo-org" },
};

function newClient(options: { adminToken?: string } = {}): CloudClient {
  return createCloudClient({
    baseUrl: sim.url,
    adminToken: options.adminToken ?? sim.createAdminToken(),
    deps: {
      now: () => clock,
      random: () => 0.5,
      sleep: (ms) => {
        waits.push(ms);
        clock += ms;
        return Promise.resolve();
      },
    },
  });
}

async function connect() {
  const registered = await client.registerConnection(RECORD);
  const converted = await client.convertManifest(registered.manifestCode);
  const app: AppAuth = { appId: converted.appId, privateKeyPem: converted.privateKeyPem, slug: converted.slug };
  const installationId = await client.findInstallation(app, "octo-org");
  if (installationId === undefined) throw new Error("expected an installation");
  return { registered, converted, app, installationId };
}

/** Every string an error exposes, to scan for secrets. */
function exposedText(error: unknown): string {
  const typed = error as CoreError;
  return [
    typed.message,
    typed.hint,
    typed.stack,
    JSON.stringify(typed.context),
    String(typed.cause),
    JSON.stringify(typed),
  ].join("\n");
}

async function caught(promise: Promise<unknown>): Promise<CoreError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(CoreError);
    return error as CoreError;
  }
  throw new Error("expected a CoreError");
}

beforeEach(async () => {
  clock = START;
  waits = [];
  sim = await startGitHubSim({ now: () => clock });
  client = newClient();
});
afterEach(async () => {
  await sim.close();
});

describe("createCloudClient against github-sim", () => {
  it("registers the record, converts the manifest into a PKCS#1 key and finds the installation", async () => {
    const { registered, converted, app } = await connect();
    expect(registered.account).toMatchObject({ type: "organization", login: "octo-org", id: anyNumber() });
    expect(converted.privateKeyPem).toMatch(/^-----BEGIN RSA PRIVATE KEY-----/);
    expect(await client.getApp(app)).toMatchObject({
      appId: converted.appId,
      slug: converted.slug,
      installationsCount: 1,
    });
    const record = await client.getConnectionRecord(registered.recordId);
    expect(record).toMatchObject({ hostname: "ghes.example.com", licenseHash: "b".repeat(64), appId: converted.appId });
    expect(await client.getConnectionRecord(registered.recordId, app)).toMatchObject({ recordId: registered.recordId });
    expect(await client.probeAppKey(app)).toMatchObject({
      accepted: true,
      status: 200,
      app: { ownerType: "organization" },
    });
  });

  it("mints a fresh token through @octokit/auth-app on every call, in both formats", async () => {
    const { app, installationId } = await connect();
    const stateless = await client.mintInstallationToken(app, installationId);
    expect(stateless.token.startsWith(`ghs_${app.appId}_`)).toBe(true);
    expect(stateless.expiresAt).toBe("2026-05-01T13:00:00Z");
    const again = await client.mintInstallationToken(app, installationId);
    expect(again.token).not.toBe(stateless.token);
    const classic = await client.mintInstallationToken(app, installationId, { format: "classic" });
    expect(classic.token).toMatch(/^ghs_[A-Za-z0-9]{36}$/);
    expect(sim.counters().tokenMints).toBe(3);
  });

  it("checks and revokes tokens: a revoked or expired token is refused", async () => {
    const { app, installationId } = await connect();
    const { token } = await client.mintInstallationToken(app, installationId);
    expect(await client.checkToken(token)).toBe("valid");
    expect(await client.revokeToken(token)).toBe("revoked");
    expect(await client.checkToken(token)).toBe("refused");
    expect(await client.revokeToken(token)).toBe("already-invalid");
    const second = await client.mintInstallationToken(app, installationId);
    clock += 60 * 60 * 1000;
    expect(await client.checkToken(second.token)).toBe("refused");
  });

  it("deletes installation, app and record; a repeat answers not-found or refused, never 'already gone'", async () => {
    const { registered, app, installationId } = await connect();
    expect(await client.lookInstallation(app, installationId)).toBe("exists");
    expect(await client.deleteInstallation(app, installationId)).toBe("deleted");
    expect(await client.deleteInstallation(app, installationId)).toBe("not-found");
    expect(await client.lookInstallation(app, installationId)).toBe("not-found");
    expect(await client.deleteApp(app)).toBe("deleted");
    expect(await client.deleteApp(app)).toBe("refused");
    expect(await client.probeAppKey(app)).toEqual({ accepted: false, status: 401 });
    expect(await client.lookInstallation(app, installationId)).toBe("refused");
    expect(await client.deleteConnectionRecord(registered.recordId)).toBe("deleted");
    expect(await client.deleteConnectionRecord(registered.recordId)).toBe("not-found");
    expect(await client.getConnectionRecord(registered.recordId)).toBeUndefined();
  });

  it("deleting the record cascades to the app and its tokens", async () => {
    const { registered, app, installationId } = await connect();
    const { token } = await client.mintInstallationToken(app, installationId);
    expect(await client.deleteConnectionRecord(registered.recordId, app)).toBe("deleted");
    expect(await client.checkToken(token)).toBe("refused");
    expect(sim.counters()).toMatchObject({ apps: 0, installations: 0, records: 0 });
  });

  it("refuses a used manifest code with a message that says what to do", async () => {
    const { registered } = await connect();
    const error = await caught(client.convertManifest(registered.manifestCode));
    expect(error.code).toBe("CLOUD_NOT_FOUND");
    expect(error.message).toMatch(/single-use and valid for one hour/);
    expect(error.message).not.toContain(registered.manifestCode);
  });

  it("issues a new manifest code for a record whose app is gone", async () => {
    const { registered, app } = await connect();
    expect((await caught(client.renewManifestCode(registered.recordId))).code).toBe("CLOUD_REJECTED");
    await client.deleteApp(app);
    const renewed = await client.renewManifestCode(registered.recordId);
    const recreated = await client.convertManifest(renewed.manifestCode);
    expect((await client.getConnectionRecord(registered.recordId))?.appId).toBe(recreated.appId);
  });

  it("needs an admin token for records, and says so", async () => {
    const anonymous = createCloudClient({ baseUrl: sim.url, deps: { now: () => clock } });
    const error = await caught(anonymous.registerConnection(RECORD));
    expect(error.code).toBe("CLOUD_UNAUTHORIZED");
    expect(error.message).toMatch(/admin token is needed/);
  });
});

describe("createCloudClient clock skew", () => {
  // Ahead by 5 min the first JWT is still acceptable; behind by 5 min or ahead by 15 it is refused
  // once per fresh client (iat in the future / exp in the past), then re-issued on server time.
  it.each([
    ["+5 min", 300, 0],
    ["-5 min", -300, 2],
    ["+15 min", 900, 2],
  ])("issues JWTs on the server's time when its clock is %s", async (_label, seconds, expectedRefusals) => {
    const { app, installationId } = await connect();
    sim.skewClock(seconds);
    const fresh = newClient();
    expect(await fresh.getApp(app)).toMatchObject({ appId: app.appId });
    expect(fresh.clockOffsetMs()).toBe(seconds * 1000);
    const token = await newClient().mintInstallationToken(app, installationId);
    expect(Date.parse(token.expiresAt)).toBe(START + seconds * 1000 + 3600_000);
    const refused = sim.requests().filter((entry) => entry.status === 401);
    expect(refused).toHaveLength(expectedRefusals);
    expect(await fresh.findInstallation(app, "octo-org")).toBe(installationId);
    expect(sim.requests().filter((entry) => entry.status === 401)).toHaveLength(refused.length);
  });
});

describe("createCloudClient errors never expose secrets", () => {
  it("a refused mint names neither the key, nor a JWT, nor the token", async () => {
    const { app, installationId } = await connect();
    const { token } = await client.mintInstallationToken(app, installationId);
    sim.revokeApp(app.appId);
    const error = await caught(client.mintInstallationToken(app, installationId));
    expect(error.code).toBe("CLOUD_UNAUTHORIZED");
    expect(error.message).toMatch(/mint an installation token/);
    const text = exposedText(error);
    for (const line of app.privateKeyPem.split("\n").filter((line) => line.length > 20))
      expect(text).not.toContain(line);
    expect(text).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}/);
    expect(text).not.toContain(token);
  });

  it("a refused admin token is not echoed", async () => {
    const adminToken = `ghp_${"Z".repeat(36)}`;
    await sim.close();
    sim = await startGitHubSim({ now: () => clock, adminToken: `ghp_${"Y".repeat(36)}` });
    const error = await caught(newClient({ adminToken }).registerConnection(RECORD));
    expect(error.code).toBe("CLOUD_UNAUTHORIZED");
    expect(exposedText(error)).not.toContain(adminToken);
  });

  it("an unreachable cloud does not echo the token being checked", async () => {
    const { app, installationId } = await connect();
    const { token } = await client.mintInstallationToken(app, installationId);
    await sim.close();
    const error = await caught(client.checkToken(token));
    expect(error.code).toBe("CLOUD_UNREACHABLE");
    expect(error.category).toBe("incomplete");
    expect(exposedText(error)).not.toContain(token);
  });

  it("a malformed key is refused without quoting it", async () => {
    const pem =
      "-----BEGIN RSA PRIVATE KEY-----\nTm90QUtleUF0QWxsQnV0TG9uZ0Vub3VnaFRvU2Nhbg==\n-----END RSA PRIVATE KEY-----\n";
    const error = await caught(client.getApp({ appId: 1, privateKeyPem: pem }));
    expect(error.code).toBe("CORE_KEY_INVALID");
    expect(exposedText(error)).not.toContain("Tm90QUtleUF0QWxsQnV0TG9uZ0Vub3VnaFRvU2Nhbg");
  });
});

describe("createCloudClient against github.com (github-sim --profile github.com)", () => {
  it("answers not-offered for DELETE /app and undefined for a record: a 404 is never 'deleted'", async () => {
    await using cloud = await startGitHubSim({ profile: "github.com" });
    const created = await cloud.createApp({ type: "organization", login: "octo-org" });
    const github = createCloudClient({ baseUrl: cloud.url, adminToken: cloud.createAdminToken() });
    const app = { appId: created.id, privateKeyPem: created.pem };
    expect(await github.deleteApp(app)).toBe("not-offered");
    expect(await github.getConnectionRecord(1)).toBeUndefined();
    expect(await github.deleteConnectionRecord(1)).toBe("not-found");
    expect(await github.probeAppKey(app)).toMatchObject({ accepted: true, app: { appId: created.id } });
    expect(cloud.deleteApp(created.id)).toBe(true);
    expect(await github.probeAppKey(app)).toEqual({ accepted: false, status: 401 });
  });
});
