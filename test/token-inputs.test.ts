import { startGitHubSim, type GitHubSim } from "@connect-ops/github-sim";
import {
  connectArgv,
  connectedAppliance,
  initialisedAppliance,
  spawnCli,
  testdirSync,
} from "@connect-ops/test-support";
import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// Issue 14 item 8: the admin token from a file (systemd LoadCredential=), and a --min-ttl the token cannot satisfy.

const scratch = testdirSync({ prefix: "e2e-token-inputs-" });
let sim: GitHubSim;

beforeAll(async () => {
  sim = await startGitHubSim();
});

afterAll(async () => {
  await sim.close();
  scratch[Symbol.dispose]();
});

describe("CONNECT_OPS_CLOUD_TOKEN_FILE", () => {
  it("connects with the admin token read from a file, as systemd's LoadCredential= hands it over", async () => {
    const layout = await initialisedAppliance({
      dir: join(scratch.path, "from-file"),
      cloud: sim,
      connectOps: spawnCli,
    });
    const credentials = join(scratch.path, "credentials");
    mkdirSync(credentials);
    writeFileSync(join(credentials, "cloud-token"), `${layout.env.CONNECT_OPS_CLOUD_TOKEN ?? ""}\n`, { mode: 0o600 });
    const env = {
      CONNECT_OPS_STATE_DIR: layout.stateDir,
      CONNECT_OPS_CLOUD_TOKEN_FILE: join(credentials, "cloud-token"),
    };
    const run = await spawnCli(connectArgv(layout, sim.url), env);
    expect(run.code, run.stderr).toBe(0);
  });

  it.each([
    ["a missing file", (dir: string) => join(dir, "nope"), "cannot read it (ENOENT)"],
    ["a directory", (dir: string) => dir, "not a regular file"],
    [
      "an empty file",
      (dir: string) => {
        writeFileSync(join(dir, "empty"), "\n");
        return join(dir, "empty");
      },
      "it is empty",
    ],
  ])("refuses %s: exit 2 naming the path, nothing changed", async (_what, make, why) => {
    const layout = await initialisedAppliance({
      dir: join(scratch.path, `bad-${why.length}`),
      cloud: sim,
      connectOps: spawnCli,
    });
    const dir = join(scratch.path, `token-dir-${why.length}`);
    mkdirSync(dir, { recursive: true });
    const path = make(dir);
    const before = readdirSync(layout.stateDir, { recursive: true }).sort();
    const run = await spawnCli(connectArgv(layout, sim.url), {
      CONNECT_OPS_STATE_DIR: layout.stateDir,
      CONNECT_OPS_CLOUD_TOKEN_FILE: path,
    });
    expect(run.stderr).toContain(`CONNECT_OPS_CLOUD_TOKEN_FILE ${path}: ${why}`);
    expect(run.code).toBe(2);
    expect(readdirSync(layout.stateDir, { recursive: true }).sort()).toEqual(before);
  });

  it("refuses both variables at once", async () => {
    const layout = await initialisedAppliance({ dir: join(scratch.path, "both"), cloud: sim, connectOps: spawnCli });
    const file = join(scratch.path, "both-token");
    writeFileSync(file, "x");
    const run = await spawnCli(connectArgv(layout, sim.url), { ...layout.env, CONNECT_OPS_CLOUD_TOKEN_FILE: file });
    expect(run.stderr).toContain("both CONNECT_OPS_CLOUD_TOKEN and CONNECT_OPS_CLOUD_TOKEN_FILE are set");
    expect(run.code).toBe(2);
  });
});

describe("token --min-ttl", () => {
  it("refuses a margin at or over the token's one-hour lifetime instead of minting on every run", async () => {
    const appliance = await connectedAppliance({ dir: join(scratch.path, "ttl"), cloud: sim, connectOps: spawnCli });
    for (const margin of ["1h", "2h", "60m"]) {
      const run = await spawnCli(["token", "--min-ttl", margin], appliance.env);
      expect(run.stderr).toContain(`--min-ttl ${margin} is at or over an installation token's lifetime (1 hour)`);
      expect(run.code).toBe(2);
    }
    const ok = await spawnCli(["token", "--min-ttl", "59m"], appliance.env);
    expect(ok.code, ok.stderr).toBe(0);
  });
});
