import { startGitHubSim, type GitHubSim } from "@connect-ops/github-sim";
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  cliTranscript,
  connectArgv,
  openSealedVault,
  parseJsonOutput,
  snapshotCli,
  spawnCli,
  SuiteResources,
  testdirSync,
  writeLicense,
} from "@connect-ops/test-support";
import { connectJson, statusJson, tokenJson } from "./support/cli-json.js";
import { expectNoLeak, runPlaces } from "./support/leaks.js";

const suite = new SuiteResources();
let sim: GitHubSim;
const scratch = testdirSync({ prefix: "e2e-connect-" });
// The crash hook is compiled out of the production bundle: the crash runs use the test bundle.
let hooked: Awaited<ReturnType<typeof snapshotCli>>;
beforeAll(async () => {
  sim = suite.hold(await startGitHubSim());
  hooked = suite.hold(await snapshotCli({ testHooks: true }));
});
afterAll(async () => {
  await suite[Symbol.asyncDispose]();
  scratch[Symbol.dispose]();
});
const minted = (stdout: string) => parseJsonOutput(tokenJson, stdout).minted;

let counter = 0;
async function freshAppliance() {
  const dir = join(scratch.path, `appliance-${counter++}`);
  const env = { CONNECT_OPS_STATE_DIR: join(dir, "state"), CONNECT_OPS_CLOUD_TOKEN: sim.createAdminToken() };
  execFileSync("mkdir", ["-p", dir]);
  const license = writeLicense(dir);
  expect((await spawnCli(["init"], env)).code).toBe(0);
  const connectArgs = connectArgv({ license }, sim.url, `ghes-${counter}.example.com`);
  return { dir, env, license, connectArgs, stateDir: env.CONNECT_OPS_STATE_DIR };
}

function filesUnder(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    if (path.endsWith("credentials.age")) continue; // sealed: the one place the secret may be
    out[path] = readFileSync(path, "latin1");
  }
  return out;
}

describe("connect → token → status against the GitHub API simulator", () => {
  it("seals the PEM and a ghs_ token that the real age CLI opens, reuses the token, and leaks nothing", async () => {
    const appliance = await freshAppliance();
    const connected = await spawnCli(["--json", ...appliance.connectArgs], appliance.env);
    expect(connected.code).toBe(0);
    const outcome = parseJsonOutput(connectJson, connected.stdout);
    expect(outcome).toMatchObject({ resumed: false, alreadyConnected: false, orphansDeleted: 0 });

    const sealed = openSealedVault(appliance.stateDir);
    expect(sealed.app.privateKeyPem).toContain("-----BEGIN RSA PRIVATE KEY-----");
    expect(sealed.token.value).toMatch(/^ghs_/);
    expect(sealed.token.value.length).toBeGreaterThan(100); // the newer ghs_<APPID>_<JWT> form

    const before = sim.counters().requests;
    const first = await spawnCli(["--json", "token"], appliance.env);
    const second = await spawnCli(["--json", "token"], appliance.env);
    expect(first.code).toBe(0);
    expect(parseJsonOutput(tokenJson, second.stdout)).toEqual({ expiresAt: sealed.token.expiresAt, minted: false });
    expect(sim.counters().requests).toBe(before); // a cache hit asks the cloud nothing

    const status = await spawnCli(["--json", "status"], appliance.env);
    expect(status.code).toBe(0);
    const report = parseJsonOutput(statusJson, status.stdout);
    expect(report).toMatchObject({
      connected: true,
      record: { customerName: "Acme Corp", ghesVersion: "3.14.2", account: { type: "enterprise", login: "acme" } },
      vault: { generation: 2 },
      token: { expiresAt: sealed.token.expiresAt },
      cloud: { checked: true, drift: [] },
    });
    expect(report.vault?.keyFingerprint).toMatch(/^SHA256:/);

    const forced = await spawnCli(["--json", "token", "--force"], appliance.env);
    expect(minted(forced.stdout)).toBe(true);
    const resealed = openSealedVault(appliance.stateDir);
    expect(resealed.token.value).not.toBe(sealed.token.value);

    const places: Record<string, string> = { ...filesUnder(appliance.stateDir) };
    Object.assign(places, runPlaces(cliTranscript));
    expectNoLeak(places, {
      "private key": sealed.app.privateKeyPem,
      token: sealed.token.value,
      "second token": resealed.token.value,
    });
    for (const entry of readdirSync(appliance.stateDir, { recursive: true, withFileTypes: true })) {
      const mode = statSync(join(entry.parentPath, entry.name)).mode & 0o777;
      if (entry.isDirectory()) expect(mode).toBe(0o700);
      else if (entry.name !== "audit-signing.pub") expect(mode).toBe(0o600);
    }
  });

  it("mints exactly once when ten token runs race on a stale token", async () => {
    const appliance = await freshAppliance();
    sim.skewClock(-55 * 60); // tokens minted now expire in 5 minutes of our time
    try {
      expect((await spawnCli(appliance.connectArgs, appliance.env)).code).toBe(0);
    } finally {
      sim.skewClock(0);
    }
    const mintsBefore = sim.counters().tokenMints;
    const runs = await Promise.all(
      Array.from({ length: 10 }, () => spawnCli(["--json", "token", "--min-ttl", "10m"], appliance.env)),
    );
    expect(runs.map((run) => run.code)).toEqual(Array(10).fill(0));
    expect(runs.filter((run) => minted(run.stdout))).toHaveLength(1);
    expect(sim.counters().tokenMints).toBe(mintsBefore + 1);
  });

  it("re-mints once when the cloud refuses the sealed token (--verify)", async () => {
    const appliance = await freshAppliance();
    expect((await spawnCli(appliance.connectArgs, appliance.env)).code).toBe(0);
    const { token } = openSealedVault(appliance.stateDir);
    // Revoke it the way GitHub documents (the sim runs in this process, so no blocking child here).
    const revoked = await fetch(`${sim.url}/installation/token`, {
      method: "DELETE",
      headers: { authorization: `token ${token.value}` },
    });
    expect(revoked.status).toBe(204);
    const run = await spawnCli(["--json", "token", "--verify"], appliance.env);
    expect(run.code).toBe(0);
    expect(minted(run.stdout)).toBe(true);
  });
});

describe("connect resumes after a crash", () => {
  it.each(["record-registered", "app-created", "key-sealed", "token-sealed"])(
    "killed at %s (SIGKILL), then re-run: exactly one app and a complete vault",
    async (point) => {
      const appliance = await freshAppliance();
      const appsBefore = sim.counters().apps;
      const crashed = await hooked.run(appliance.connectArgs, { ...appliance.env, CONNECT_OPS_FAULT_CRASH_AT: point });
      expect(crashed.signal).toBe("SIGKILL");
      const resumed = await spawnCli(["--json", ...appliance.connectArgs], appliance.env);
      expect(resumed.code).toBe(0);
      expect(sim.counters().apps).toBe(appsBefore + 1);
      const status = parseJsonOutput(statusJson, (await spawnCli(["--json", "status"], appliance.env)).stdout);
      expect(status).toMatchObject({ connected: true, cloud: { drift: [] } });
      expect(openSealedVault(appliance.stateDir).token.value).toMatch(/^ghs_/);
      if (point === "app-created") expect(parseJsonOutput(connectJson, resumed.stdout).orphansDeleted).toBe(1);
    },
  );
});

describe("connect leaves no orphan record", () => {
  it("adopts the record when it died after the cloud created it but before the journal said so", async () => {
    const appliance = await freshAppliance();
    const recordsBefore = sim.counters().records;
    const crashed = await hooked.run(appliance.connectArgs, {
      ...appliance.env,
      CONNECT_OPS_FAULT_CRASH_AT: "record-registered",
    });
    expect(crashed.signal).toBe("SIGKILL");
    // As if the process had died one instant earlier: the cloud holds the record, the journal does not.
    rmSync(join(appliance.stateDir, "journal", "connect.json"));
    const resumed = await spawnCli(["--json", ...appliance.connectArgs], appliance.env);
    expect(resumed.code).toBe(0);
    expect(sim.counters().records).toBe(recordsBefore + 1);
  });
});

describe("connect and token refuse bad input", () => {
  it("a missing license file: exit 2, names the file", async () => {
    const appliance = await freshAppliance();
    const args = appliance.connectArgs.map((arg) =>
      arg === appliance.license ? join(appliance.dir, "missing.json") : arg,
    );
    const run = await spawnCli(args, appliance.env);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^error\[CLI_USAGE\]: cannot read license file .*missing\.json \(ENOENT\) — /m);
    expect(readdirSync(appliance.stateDir)).not.toContain("vault");
  });

  it("a malformed license: exit 2, names what is missing", async () => {
    const appliance = await freshAppliance();
    writeFileSync(appliance.license, JSON.stringify({ public_key: "x" }));
    const run = await spawnCli(appliance.connectArgs, appliance.env);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/error\[CORE_LICENSE_INVALID\]: .*customer_name/);
  });

  it("a bad account spec: exit 2 with the accepted forms", async () => {
    const appliance = await freshAppliance();
    const args = appliance.connectArgs.map((arg) => (arg === "enterprise:acme" ? "team/acme" : arg));
    const run = await spawnCli(args, appliance.env);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("is not organization:LOGIN or enterprise:SLUG");
  });

  it("an unreachable cloud URL: exit 3 after retries, nothing sealed", async () => {
    const appliance = await freshAppliance();
    const args = appliance.connectArgs.map((arg) => (arg === sim.url ? "http://127.0.0.1:9" : arg));
    const run = await spawnCli(args, appliance.env);
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(/error\[CLOUD_UNREACHABLE\]/);
    expect(readdirSync(appliance.stateDir)).not.toContain("vault");
    const retried = await spawnCli(appliance.connectArgs, appliance.env);
    expect(retried.code).toBe(0); // the failed attempt left nothing that blocks the right URL
  });

  it("a corrupted vault on token: exit 2, integrity error, file untouched", async () => {
    const appliance = await freshAppliance();
    expect((await spawnCli(appliance.connectArgs, appliance.env)).code).toBe(0);
    const sealedPath = join(appliance.stateDir, "vault", "credentials.age");
    const bytes = readFileSync(sealedPath);
    bytes[bytes.length - 10] = (bytes[bytes.length - 10] ?? 0) ^ 0xff;
    writeFileSync(sealedPath, bytes);
    const run = await spawnCli(["token"], appliance.env);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^error\[VAULT_INTEGRITY\]/m);
    expect(readFileSync(sealedPath).equals(bytes)).toBe(true);
  });
});
