import { startGitHubSim, type GitHubSim } from "@connect-ops/github-sim";
import { createHash } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { existsSync, lstatSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  connectedAppliance,
  initialisedAppliance,
  snapshotCli,
  testdirSync,
  type ApplianceLayout,
} from "@connect-ops/test-support";
import { backupRecipient } from "./disconnect-fixture.js";

// Issue 14, items 1-3: the whole lifecycle against both simulator profiles with the built CLI, adopt's refusals,
// and the shim (a cloud that answers 404 for the Connect surface) never yielding "deleted" or CLEAN.

let ghes: GitHubSim;
let github: GitHubSim;
let cli: Awaited<ReturnType<typeof snapshotCli>>;
const scratch = testdirSync({ prefix: "e2e-cloud-" });
const connectOps = (argv: readonly string[], env: Record<string, string | undefined> = {}) => cli.run(argv, env);
beforeAll(async () => {
  cli = await snapshotCli();
  ghes = await startGitHubSim({ profile: "ghes-connect" });
  github = await startGitHubSim({ profile: "github.com" });
});
afterAll(async () => {
  await ghes.close();
  await github.close();
  cli[Symbol.dispose]();
  scratch[Symbol.dispose]();
});

let counter = 0;
const dirFor = (tag: string): string => join(scratch.path, `${tag}-${counter++}`);

/** `POST /_sim/apps`: an App made as a person makes one in the settings page. */
async function createApp(cloud: GitHubSim, account = "organization:octo-org") {
  const answer = await fetch(`${cloud.url}/_sim/apps`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ account }),
  });
  expect(answer.status).toBe(201);
  return (await answer.json()) as { id: number; slug: string; installationId: number; keyId: number; pem: string };
}

async function simControl(cloud: GitHubSim, method: string, path: string): Promise<{ status: number; body: unknown }> {
  const answer = await fetch(`${cloud.url}/_sim${path}`, { method });
  const text = await answer.text();
  return { status: answer.status, body: text === "" ? undefined : (JSON.parse(text) as unknown) };
}

function treeDigest(dir: string): Record<string, string> {
  const digest: Record<string, string> = {};
  for (const name of readdirSync(dir, { recursive: true, encoding: "utf8" })) {
    const path = join(dir, name);
    const stats = lstatSync(path);
    digest[name] = stats.isFile() ? createHash("sha256").update(readFileSync(path)).digest("hex") : "dir";
  }
  return digest;
}

const json = (stdout: string): Record<string, unknown> => JSON.parse(stdout) as Record<string, unknown>;

/** token → backup include → disconnect → verify-cleanup on a connected (or adopted) appliance. */
async function afterConnect(layout: ApplianceLayout, env: Record<string, string>) {
  const token = await connectOps(["--json", "token"], env);
  expect(token.code, token.stderr).toBe(0);
  const include = await connectOps(
    ["backup", "include", layout.current, "--recipient", backupRecipient(layout.dir)],
    env,
  );
  expect(include.code, include.stderr).toBe(0);
  const disconnect = (extra: readonly string[] = ["--json"]) =>
    connectOps(
      [
        ...extra,
        "disconnect",
        "--inventory",
        layout.inventory,
        "--data-dir",
        layout.dataDir,
        "--purge-backups",
        "--yes",
      ],
      env,
    );
  const verify = () =>
    connectOps(["--json", "verify-cleanup", "--inventory", layout.inventory, "--data-dir", layout.dataDir], env);
  return { disconnect, verify };
}

interface AuditJson {
  verdict: string;
  gaps: { reason: string }[];
  report: { locations: { kind: string; checks: { check: string; result: string; detail?: string }[] }[] };
}

function cloudChecks(stdout: string): Record<string, { result: string; detail?: string }> {
  const audit = JSON.parse(stdout) as AuditJson;
  const cloud = audit.report.locations.find((location) => location.kind === "cloud");
  return Object.fromEntries((cloud?.checks ?? []).map((check) => [check.check, check]));
}

describe("the lifecycle against github-sim --profile ghes-connect", () => {
  it("connect → token → replicate → include → disconnect → verify-cleanup: CLEAN with the JWT and token proofs", async () => {
    const app = await connectedAppliance({ cloud: ghes, dir: dirFor("ghes"), connectOps, nodes: ["replica-1"] });
    const steps = await afterConnect(app, app.env);
    const done = await steps.disconnect();
    expect(done.code, done.stderr).toBe(0);
    const cloud = json(done.stdout)["cloud"] as Record<string, Record<string, unknown>>;
    expect(cloud["record"]).toMatchObject({ result: "deleted" });
    expect(cloud["proofs"]).toMatchObject({
      appKey: { request: "GET /app", status: 401 },
      token: { request: "GET /installation/repositories", status: 401 },
    });
    const audit = await steps.verify();
    expect(audit.code, audit.stdout).toBe(0);
    const checks = cloudChecks(audit.stdout);
    expect(checks["app key"]?.result).toBe("ok");
    expect(checks["app key"]?.detail).toMatch(/GET \/app .*401 at /);
    expect(checks["installation token"]?.result).toBe("ok");
    expect(checks["connection record"]?.result).toBe("ok");
    expect(checks["connection record"]?.detail).toMatch(/404; disconnect saw it/);
  });
});

describe("the lifecycle against github-sim --profile github.com", () => {
  it("adopt → token → replicate → include → disconnect stops at the App deletion (exit 3); after DELETE /_sim/apps/{id} a re-run proves it (exit 0) → CLEAN", async () => {
    const layout = await initialisedAppliance({
      cloud: github,
      dir: dirFor("dotcom"),
      connectOps,
      nodes: ["replica-1"],
    });
    const env = { CONNECT_OPS_STATE_DIR: layout.stateDir };
    const app = await createApp(github);
    const pemFile = join(layout.dir, "downloaded.private-key.pem");
    writeFileSync(pemFile, app.pem, { mode: 0o600 });
    const adopt = await connectOps(
      [
        "--json",
        "adopt",
        "--cloud-url",
        github.url,
        "--app-id",
        String(app.id),
        "--private-key",
        pemFile,
        "--installation-id",
        String(app.installationId),
        "--remove-source",
      ],
      env,
    );
    expect(adopt.code, adopt.stderr).toBe(0);
    expect(json(adopt.stdout)).toMatchObject({
      appId: app.id,
      installationId: app.installationId,
      sourceRemoved: true,
    });
    expect(existsSync(pemFile)).toBe(false);
    const replicate = await connectOps(["replicate", "--inventory", layout.inventory], env);
    expect(replicate.code, replicate.stderr).toBe(0);
    const steps = await afterConnect(layout, env);

    const human = await steps.disconnect([]);
    expect(human.code, human.stderr).toBe(3);
    const url = `${github.url}/organizations/octo-org/settings/apps/${app.slug}/advanced`;
    expect(human.stdout).toContain(url);
    expect(human.stdout).toMatch(/Delete GitHub App/);
    expect(human.stdout).toMatch(/no connection record was registered \(github\.com has none\)/);
    expect(existsSync(join(layout.stateDir, "vault", "credentials.age"))).toBe(true);
    expect(readdirSync(layout.nodeDirs["replica-1"] ?? "")).toEqual([]);
    const stillPending = await steps.disconnect();
    expect(stillPending.code).toBe(3);
    expect(json(stillPending.stdout)).toMatchObject({ completed: false, appDeletion: { url } });
    const early = await steps.verify();
    expect(early.code).not.toBe(0);
    expect(cloudChecks(early.stdout)["app key"]?.result).toBe("gap");

    expect((await simControl(github, "DELETE", `/apps/${app.id}`)).status).toBe(204);
    const done = await steps.disconnect();
    expect(done.code, done.stderr).toBe(0);
    const doneJson = json(done.stdout);
    expect(doneJson).toMatchObject({
      completed: true,
      appDeletion: null,
      cloud: {
        record: { result: "none" },
        app: { result: "deleted" },
        proofs: { appKey: { status: 401 }, token: { status: 401 } },
      },
    });
    expect(existsSync(join(layout.stateDir, "vault"))).toBe(false);
    const audit = await steps.verify();
    expect(audit.code, audit.stdout).toBe(0);
    const checks = cloudChecks(audit.stdout);
    expect(checks["app key"]?.result).toBe("ok");
    expect(checks["connection record"]?.result).toBe("ok");
    expect(checks["connection record"]?.detail).toMatch(/github\.com has no connection records/);
  });
});

describe("adopt refuses what the cloud does not accept (exit 2, nothing written)", () => {
  it("another App's key, a wrong app id, a deleted (revoked) key, a non-PEM file, an installation of another App", async () => {
    const layout = await initialisedAppliance({
      cloud: github,
      dir: dirFor("adopt"),
      connectOps,
      nodes: ["replica-1"],
    });
    const env = { CONNECT_OPS_STATE_DIR: layout.stateDir };
    const mine = await createApp(github);
    const other = await createApp(github);
    const rotated = await simControl(github, "POST", `/apps/${mine.id}/keys`);
    expect(rotated.status).toBe(201);
    expect((await simControl(github, "DELETE", `/apps/${mine.id}/keys/${mine.keyId}`)).status).toBe(204);
    const write = (name: string, content: string): string => {
      const path = join(scratch.path, `${name}-${counter++}.pem`);
      writeFileSync(path, content, { mode: 0o600 });
      return path;
    };
    const cases: Record<string, { appId: number; key: string; installationId?: number; expect: RegExp }> = {
      "another App's key": { appId: mine.id, key: write("other", other.pem), expect: /refused this key/ },
      "a wrong app id": {
        appId: 999_999,
        key: write("wrong-id", other.pem),
        expect: /refused this key for app 999999/,
      },
      "a deleted key": { appId: mine.id, key: write("revoked", mine.pem), expect: /refused this key/ },
      "a non-PEM file": { appId: other.id, key: write("junk", "not a key\n"), expect: /not a PEM private key/ },
      "another App's installation": {
        appId: other.id,
        key: write("inst", other.pem),
        installationId: mine.installationId,
        expect: /is not an installation of app/,
      },
    };
    const before = treeDigest(layout.stateDir);
    for (const [name, spec] of Object.entries(cases)) {
      const run = await connectOps(
        [
          "adopt",
          "--cloud-url",
          github.url,
          "--app-id",
          String(spec.appId),
          "--private-key",
          spec.key,
          "--installation-id",
          String(spec.installationId ?? other.installationId),
        ],
        env,
      );
      expect(run.code, `${name}: ${run.stderr}`).toBe(2);
      expect(run.stderr, name).toMatch(spec.expect);
      expect(treeDigest(layout.stateDir), name).toEqual(before);
    }
  });
});

const HOP_HEADERS = new Set(["host", "connection", "content-length", "transfer-encoding", "keep-alive"]);

/** A proxy that answers as github.com would for the Connect surface (404) once `hide` is set. */
async function startShim(target: GitHubSim): Promise<{ url: string; hide: () => void; close: () => Promise<void> }> {
  let hidden = false;
  const server: Server = createServer((incoming, outgoing) => {
    const chunks: Buffer[] = [];
    incoming.on("data", (chunk: Buffer) => chunks.push(chunk));
    incoming.on("end", () => {
      const path = incoming.url ?? "/";
      const method = incoming.method ?? "GET";
      if (hidden && (path.startsWith("/connect/records") || (path === "/app" && method === "DELETE"))) {
        outgoing.writeHead(404, { "content-type": "application/json" });
        outgoing.end(JSON.stringify({ message: "Not Found", documentation_url: "https://docs.github.com/rest" }));
        return;
      }
      const headers = Object.fromEntries(
        Object.entries(incoming.headers).filter(
          (entry): entry is [string, string] => typeof entry[1] === "string" && !HOP_HEADERS.has(entry[0]),
        ),
      );
      const body = chunks.length === 0 ? undefined : Buffer.concat(chunks);
      fetch(`${target.url}${path}`, { method, headers, ...(body === undefined ? {} : { body }) }).then(
        async (answer) => {
          const forwarded: Record<string, string> = {};
          answer.headers.forEach((value, key) => {
            if (key !== "content-length" && key !== "transfer-encoding" && key !== "connection") forwarded[key] = value;
          });
          outgoing.writeHead(answer.status, forwarded);
          outgoing.end(Buffer.from(await answer.arrayBuffer()));
        },
        () => outgoing.destroy(),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    hide: () => {
      hidden = true;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe("the shim: a cloud that answers 404 on the Connect-record and DELETE /app endpoints", () => {
  it("never yields 'deleted' or a CLEAN report while the App still exists", async () => {
    const shim = await startShim(ghes);
    try {
      const app = await connectedAppliance({
        cloud: { url: shim.url, createAdminToken: () => ghes.createAdminToken() },
        dir: dirFor("shim"),
        connectOps,
        nodes: ["replica-1"],
      });
      const appsBefore = ghes.counters().apps;
      shim.hide();
      const steps = await afterConnect(app, app.env);
      const run = await steps.disconnect();
      expect(run.code, run.stderr).toBe(3);
      const cloud = json(run.stdout)["cloud"] as Record<string, { result?: string }>;
      expect(cloud["record"]?.result).toBe("unsupported");
      expect(cloud["app"]?.result).toBe("pending-person");
      expect(JSON.stringify(cloud["record"])).not.toMatch(/"deleted"|"already-gone"/);
      expect(ghes.counters().apps).toBe(appsBefore);
      const audit = await steps.verify();
      expect(audit.code).not.toBe(0);
      expect((JSON.parse(audit.stdout) as AuditJson).verdict).not.toBe("clean");
      const checks = cloudChecks(audit.stdout);
      expect(checks["app key"]?.result).toBe("gap");
      expect(checks["connection record"]?.result).toBe("gap");
    } finally {
      await shim.close();
    }
  });
});
