import { startGitHubSim, type GitHubSim } from "@connect-ops/github-sim";
import { createHash } from "node:crypto";
import { lstatSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { snapshotCli, SuiteResources, testdirSync, type CliEnv } from "@connect-ops/test-support";

// Issue 14, item 5: `adopt --account TYPE:LOGIN` finds the App's installation on that account with the App's JWT
// (GET /app/installations) instead of taking its id; every refusal exits 2 with nothing written.

const suite = new SuiteResources();
let github: GitHubSim;
let cli: Awaited<ReturnType<typeof snapshotCli>>;
const scratch = testdirSync({ prefix: "e2e-adopt-account-" }); // e2e-*: the leak canary scans it
beforeAll(async () => {
  cli = suite.hold(await snapshotCli());
  github = suite.hold(await startGitHubSim({ profile: "github.com" }));
});
afterAll(async () => {
  await suite[Symbol.asyncDispose]();
  scratch[Symbol.dispose]();
});

let counter = 0;
async function initialised(): Promise<{ dir: string; stateDir: string; env: CliEnv }> {
  const dir = join(scratch.path, `appliance-${counter++}`);
  const stateDir = join(dir, "state");
  const env: CliEnv = { CONNECT_OPS_STATE_DIR: stateDir };
  const init = await cli.run(["init"], env);
  expect(init.code, init.stderr).toBe(0);
  return { dir, stateDir, env };
}

/** `POST /_sim/apps`: an App made in the settings page, with one installation on the account. */
async function createApp(account: string) {
  const answer = await fetch(`${github.url}/_sim/apps`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ account }),
  });
  expect(answer.status).toBe(201);
  return (await answer.json()) as { id: number; slug: string; installationId: number; pem: string };
}

function treeDigest(dir: string): Record<string, string> {
  const digest: Record<string, string> = {};
  for (const name of readdirSync(dir, { recursive: true, encoding: "utf8" })) {
    const path = join(dir, name);
    digest[name] = lstatSync(path).isFile() ? createHash("sha256").update(readFileSync(path)).digest("hex") : "dir";
  }
  return digest;
}

const adoptArgv = (app: { id: number }, pemFile: string, target: readonly string[]): string[] => [
  "--json",
  "adopt",
  "--cloud-url",
  github.url,
  "--app-id",
  String(app.id),
  "--private-key",
  pemFile,
  ...target,
  "--remove-source",
];

describe("adopt --account", () => {
  it("finds the App's installation on the account with its JWT, seals key and token; token then works", async () => {
    const { dir, env } = await initialised();
    await createApp("organization:other-org"); // another App on another account: not picked
    const app = await createApp("organization:octo-org");
    const pemFile = join(dir, "downloaded.private-key.pem");
    writeFileSync(pemFile, app.pem, { mode: 0o600 });
    const adopt = await cli.run(adoptArgv(app, pemFile, ["--account", "organization:octo-org"]), env);
    expect(adopt.code, adopt.stderr).toBe(0);
    expect(JSON.parse(adopt.stdout)).toMatchObject({
      appId: app.id,
      installationId: app.installationId,
      owner: "organization:octo-org",
      sourceRemoved: true,
    });
    const token = await cli.run(["--json", "token", "--force"], env);
    expect(token.code, token.stderr).toBe(0);
    expect(JSON.parse(token.stdout)).toMatchObject({ minted: true });
  });

  it("refuses, with exit 2 and nothing written: an account without the App, both or neither target flag, a bad spec", async () => {
    const { dir, stateDir, env } = await initialised();
    const app = await createApp("organization:octo-org");
    const pemFile = join(dir, "downloaded.private-key.pem");
    writeFileSync(pemFile, app.pem, { mode: 0o600 });
    const cases: Record<string, { target: string[]; expect: RegExp }> = {
      "an account the App is not installed on": {
        target: ["--account", "organization:elsewhere"],
        expect: /has no installation on organization:elsewhere/,
      },
      "both --installation-id and --account": {
        target: ["--installation-id", String(app.installationId), "--account", "organization:octo-org"],
        expect: /exactly one of --installation-id and --account/,
      },
      "neither flag": { target: [], expect: /exactly one of --installation-id and --account/ },
      "a malformed account": { target: ["--account", "octo-org"], expect: /is not organization:LOGIN/ },
    };
    const before = treeDigest(stateDir);
    for (const [name, spec] of Object.entries(cases)) {
      const run = await cli.run(adoptArgv(app, pemFile, spec.target), env);
      expect(run.code, `${name}: ${run.stderr}`).toBe(2);
      expect((JSON.parse(run.stdout) as { error: { message: string } }).error.message, name).toMatch(spec.expect);
      expect(treeDigest(stateDir), name).toEqual(before);
      expect(readFileSync(pemFile, "utf8"), `${name}: the source is kept`).toBe(app.pem);
    }
    // The key file is the operator's download, not residue of ours: gone before the leak canary looks.
    rmSync(pemFile);
  });
});
