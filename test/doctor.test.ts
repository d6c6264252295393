import { startGitHubSim, type GitHubSim } from "@connect-ops/github-sim";
import {
  connectArgv,
  connectedAppliance,
  copyTree,
  initialisedAppliance,
  openSealedVault,
  spawnCli,
  startTinyproxy,
  stringContaining,
  testdirSync,
  type Appliance,
  type CliEnv,
  type CliRun,
} from "@connect-ops/test-support";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, lstatSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { expectNoLeak, runPlaces } from "./support/leaks.js";

// Issue 14 item 7 with the built CLI: `doctor` against `github-sim --tls`, one row made to fail on purpose per
// case (its hint checked), the all-pass case exit 0, and nothing written anywhere. The SSH rows against real sshd
// containers: doctor.integration.test.ts.

const ADMIN_TOKEN = "ghp_doctorDoctorDoctorDoctorDoctor0123";
const PROXY_PASSWORD = "d0ct0r-Pr0xy-pw-98765";
const scratch = testdirSync({ prefix: "e2e-doctor-" });
// Config files and the proxy's own config hold the proxy password on purpose: outside the canary's scan.
const secretsDir = testdirSync({ prefix: "doctor-proxy-config-" });
const runs: CliRun[] = [];
let offsetMs = 0;
let sim: GitHubSim;
let caFile: string;
let appliance: Appliance;

interface Row {
  readonly check: string;
  readonly target: string;
  readonly status: "pass" | "fail" | "skip";
  readonly detail: string;
  readonly hint?: string;
}
interface Report {
  readonly ok: boolean;
  readonly rows: readonly Row[];
}

const clean = { HTTPS_PROXY: "", https_proxy: "", HTTP_PROXY: "", http_proxy: "", NO_PROXY: "", no_proxy: "" };

async function cli(argv: readonly string[], env: CliEnv): Promise<CliRun> {
  const result = await spawnCli(argv, { ...clean, NODE_EXTRA_CA_CERTS: caFile, ...env });
  runs.push(result);
  return result;
}

async function doctor(argv: readonly string[], env: CliEnv = appliance.env): Promise<{ run: CliRun; report: Report }> {
  const run = await cli(["--json", "doctor", ...argv], env);
  return { run, report: JSON.parse(run.stdout) as Report };
}

function rowOf(report: Report, check: string, target?: string): Row {
  const found = report.rows.find((row) => row.check === check && (target === undefined || row.target === target));
  if (found === undefined) throw new Error(`no ${check} row in ${JSON.stringify(report.rows)}`);
  return found;
}

/** Every entry under `dir` with its mode, mtime and content hash: what "byte-identical" compares. */
function treeDigest(dir: string): Record<string, string> {
  const digest: Record<string, string> = {};
  for (const name of readdirSync(dir, { recursive: true, encoding: "utf8" })) {
    const path = join(dir, name);
    const stats = lstatSync(path);
    digest[name] = stats.isFile()
      ? `${stats.mode.toString(8)} ${stats.mtimeMs} ${createHash("sha256").update(readFileSync(path)).digest("hex")}`
      : `${stats.mode.toString(8)} ${stats.mtimeMs}`;
  }
  return digest;
}

/** A copy of the connected appliance to break on purpose (the shared one stays healthy). */
function copyOf(name: string): Appliance {
  const dir = scratch.join(name);
  copyTree(appliance.dir, dir);
  const stateDir = join(dir, "state");
  return {
    ...appliance,
    dir,
    stateDir,
    inventory: join(dir, "inventory.json"),
    env: { ...appliance.env, CONNECT_OPS_STATE_DIR: stateDir },
  };
}

beforeAll(async () => {
  sim = await startGitHubSim({
    tls: scratch.join("sim-tls"),
    adminToken: ADMIN_TOKEN,
    now: () => Date.now() + offsetMs,
  });
  caFile = scratch.join("sim-tls", "ca.pem");
  appliance = await connectedAppliance({
    dir: scratch.join("appliance"),
    cloud: sim,
    connectOps: (argv, env) => cli(argv, env ?? {}),
  });
});

afterEach(() => {
  offsetMs = 0;
  sim.skewClock(0);
});

afterAll(async () => {
  await sim.close();
  // No secret of the appliance, the admin token or the proxy password in any output of any doctor run.
  expectNoLeak(runPlaces(runs), {
    "admin token": ADMIN_TOKEN,
    "proxy password": PROXY_PASSWORD,
    "App private key": appliance.secrets.pem,
    "installation token": appliance.secrets.token,
  });
  scratch[Symbol.dispose]();
  secretsDir[Symbol.dispose]();
});

describe("doctor", () => {
  it("all checks pass on a connected appliance: exit 0, and the state dir and node dirs are byte-identical after", async () => {
    const before = { state: treeDigest(appliance.stateDir), nodes: treeDigest(join(appliance.dir, "nodes")) };
    const { run, report } = await doctor(["--inventory", appliance.inventory]);
    expect(run.code, run.stdout).toBe(0);
    expect(report.ok).toBe(true);
    const failed = report.rows.filter((row) => row.status === "fail");
    expect(failed).toEqual([]);
    for (const check of [
      "node-version",
      "state-dir",
      "identity",
      "vault",
      "config",
      "cloud-api",
      "cloud-web",
      "tls",
      "clock-skew",
      "admin-token",
      "app-jwt",
      "token-ttl",
    ]) {
      expect(rowOf(report, check).status, check).toBe("pass");
    }
    expect(rowOf(report, "admin-token").detail).toContain("sim-admin");
    for (const node of Object.keys(appliance.nodeDirs)) expect(rowOf(report, "target-dir", node).status).toBe("pass");
    expect({ state: treeDigest(appliance.stateDir), nodes: treeDigest(join(appliance.dir, "nodes")) }).toEqual(before);
    // The human table says the same.
    const human = await cli(["doctor"], appliance.env);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/^CHECK\s+TARGET\s+RESULT\s+DETAIL/m);
    expect(human.stdout).toContain("OK: ");
  });

  it("state dir: a missing one fails (run init), one open to others fails (chmod 700)", async () => {
    const missing = await doctor([], { ...appliance.env, CONNECT_OPS_STATE_DIR: scratch.join("no-such-state") });
    expect(missing.run.code).toBe(1);
    expect(rowOf(missing.report, "state-dir")).toMatchObject({ status: "fail", detail: "it does not exist" });
    expect(rowOf(missing.report, "state-dir").hint).toContain("connect-ops init");
    const open = copyOf("open-state");
    chmodSync(open.stateDir, 0o755);
    const { run, report } = await doctor([], open.env);
    expect(run.code).toBe(1);
    expect(rowOf(report, "state-dir")).toMatchObject({ status: "fail", detail: stringContaining("mode 0755") });
    expect(rowOf(report, "state-dir").hint).toContain(`chmod 700 ${open.stateDir}`);
  });

  it("identity: readable by others fails (chmod 600); one that does not parse fails naming what to pass", async () => {
    const loose = copyOf("loose-identity");
    const identity = join(loose.stateDir, "age-identity.txt");
    chmodSync(identity, 0o644);
    const looseRun = await doctor([], loose.env);
    expect(looseRun.run.code).toBe(1);
    expect(rowOf(looseRun.report, "identity").hint).toContain(`chmod 600 ${identity}`);
    const garbled = copyOf("garbled-identity");
    writeFileSync(join(garbled.stateDir, "age-identity.txt"), "not an identity\n", { mode: 0o600 });
    const { run, report } = await doctor([], garbled.env);
    expect(run.code).toBe(1);
    expect(rowOf(report, "identity")).toMatchObject({
      status: "fail",
      detail: stringContaining("holds no age identity"),
    });
    expect(rowOf(report, "identity").hint).toContain("age-keygen");
  });

  it("vault: a sealed file that no longer matches its meta fails (VAULT_INTEGRITY's hint)", async () => {
    const damaged = copyOf("damaged-vault");
    writeFileSync(join(damaged.stateDir, "vault", "credentials.age"), "damaged");
    const { run, report } = await doctor([], damaged.env);
    expect(run.code).toBe(1);
    expect(rowOf(report, "vault").status).toBe("fail");
    expect(rowOf(report, "vault").hint).toBeTruthy();
  });

  it("config: an invalid <state-dir>/config.json fails the row naming the key (a given invalid --config is exit 2)", async () => {
    const bad = copyOf("bad-config");
    writeFileSync(join(bad.stateDir, "config.json"), JSON.stringify({ tokenMinTtlSeconds: "soon" }), { mode: 0o600 });
    const { run, report } = await doctor([], bad.env);
    expect(run.code).toBe(1);
    expect(rowOf(report, "config")).toMatchObject({ status: "fail", detail: stringContaining("tokenMinTtlSeconds") });
    expect(rowOf(report, "config").hint).toContain("docs/reference/config-and-inventory.md");
    const given = await cli(["doctor", "--config", join(bad.stateDir, "config.json")], bad.env);
    expect(given.code).toBe(2);
    expect(given.stderr).toContain("CONFIG_INVALID");
  });

  it("cloud hosts: a cloud nothing answers at fails both rows, saying what to check", async () => {
    const { run, report } = await doctor(["--cloud-url", "https://127.0.0.1:9"], appliance.env);
    expect(run.code).toBe(1);
    for (const check of ["cloud-api", "cloud-web"]) {
      expect(rowOf(report, check)).toMatchObject({
        status: "fail",
        detail: stringContaining("cannot reach 127.0.0.1:9"),
      });
      expect(rowOf(report, check).hint).toContain("HTTPS_PROXY");
    }
    const usage = await cli(["doctor", "--cloud-url", "ftp://x"], appliance.env);
    expect(usage.code).toBe(2);
  });

  it("through the config's proxy: both hosts pass and the proxy logs the CONNECT; a proxy that denies the host fails with what to allow", async () => {
    await using proxy = await startTinyproxy({ dir: secretsDir.path, auth: { user: "ops", password: PROXY_PASSWORD } });
    const config = secretsDir.join("config.json");
    writeFileSync(config, JSON.stringify({ proxy: proxy.url }), { mode: 0o600 });
    const through = await doctor(["--config", config]);
    expect(through.run.code, through.run.stdout).toBe(0);
    expect(proxy.connects()).toContain(`127.0.0.1:${sim.port}`);
    await using denying = await startTinyproxy({ dir: scratch.path, allowHosts: ["localhost"] });
    const denied = await doctor([], { ...appliance.env, HTTPS_PROXY: denying.url });
    expect(denied.run.code).toBe(1);
    expect(rowOf(denied.report, "cloud-api")).toMatchObject({
      status: "fail",
      detail: stringContaining(`refused CONNECT to 127.0.0.1:${sim.port}`),
    });
    expect(rowOf(denied.report, "cloud-api").hint).toContain("github.com and api.github.com");
  });

  it("TLS trust: without the CA the row fails saying to pass --ca-file", async () => {
    const { run, report } = await doctor([], { ...appliance.env, NODE_EXTRA_CA_CERTS: "" });
    expect(run.code).toBe(1);
    expect(rowOf(report, "tls")).toMatchObject({ status: "fail", detail: stringContaining("is not trusted") });
    expect(rowOf(report, "tls").hint).toContain("--ca-file");
    const given = await doctor(["--ca-file", caFile], { ...appliance.env, NODE_EXTRA_CA_CERTS: "" });
    expect(rowOf(given.report, "tls").status).toBe("pass");
  });

  it("clock skew: a cloud 5 minutes ahead fails the row with the NTP hint", async () => {
    sim.skewClock(300);
    const { run, report } = await doctor([]);
    expect(run.code).toBe(1);
    expect(rowOf(report, "clock-skew")).toMatchObject({ status: "fail", detail: stringContaining("ahead of") });
    expect(rowOf(report, "clock-skew").hint).toContain("NTP");
  });

  it("admin token: a refused one fails (GET /user 401) without printing it; none set is a skip", async () => {
    const wrong = "ghp_wrongWrongWrongWrongWrongWrong01234";
    const { run, report } = await doctor([], { ...appliance.env, CONNECT_OPS_CLOUD_TOKEN: wrong });
    expect(run.code).toBe(1);
    expect(rowOf(report, "admin-token")).toMatchObject({ status: "fail", detail: stringContaining("HTTP 401") });
    expect(rowOf(report, "admin-token").hint).toContain("CONNECT_OPS_CLOUD_TOKEN");
    expect(run.stdout + run.stderr).not.toContain(wrong);
    const unset = await doctor([], { ...appliance.env, CONNECT_OPS_CLOUD_TOKEN: "" });
    expect(rowOf(unset.report, "admin-token").status).toBe("skip");
    expect(unset.run.code).toBe(0);
  });

  it("App JWT: an App whose key the cloud no longer accepts fails (GET /app 401) saying how to recover", async () => {
    const gone = await connectedAppliance({
      dir: scratch.join("app-gone"),
      cloud: sim,
      connectOps: (argv, env) => cli(argv, env ?? {}),
    });
    const appId = openSealedVault(gone.stateDir).app.appId;
    expect(sim.revokeApp(appId)).toBe(true);
    const { run, report } = await doctor([], gone.env);
    expect(run.code).toBe(1);
    expect(rowOf(report, "app-jwt")).toMatchObject({ status: "fail", detail: stringContaining("HTTP 401") });
    expect(rowOf(report, "app-jwt").hint).toContain("connect-ops adopt");
  });

  it("token TTL: an expired token fails the row saying to run `connect-ops token`", async () => {
    const layout = await initialisedAppliance({
      dir: scratch.join("expired"),
      cloud: sim,
      connectOps: (argv, env) => cli(argv, env ?? {}),
    });
    offsetMs = -2 * 3600_000; // the cloud mints the token two hours ago: it expired an hour ago
    const connect = await cli(connectArgv(layout, sim.url), layout.env);
    expect(connect.code, connect.stderr).toBe(0);
    offsetMs = 0;
    const { run, report } = await doctor([], layout.env);
    expect(run.code).toBe(1);
    expect(rowOf(report, "token-ttl")).toMatchObject({ status: "fail", detail: stringContaining("expired at") });
    expect(rowOf(report, "token-ttl").hint).toContain("connect-ops token");
    expect(rowOf(report, "clock-skew").status).toBe("pass");
  });

  it("target dir: a local node whose path cannot be created fails the row; known_hosts and login are skipped for it", async () => {
    const dir = scratch.join("blocked-node");
    execFileSync("mkdir", ["-p", dir]);
    writeFileSync(join(dir, "blocker"), "a file where the node's dir would go");
    const inventory = join(dir, "inventory.json");
    writeFileSync(
      inventory,
      JSON.stringify({ nodes: [{ name: "blocked", role: "replica", transport: "local", path: "blocker/sub" }] }),
    );
    const { run, report } = await doctor(["--inventory", inventory]);
    expect(run.code).toBe(1);
    expect(rowOf(report, "target-dir", "blocked").status).toBe("fail");
    expect(rowOf(report, "known-hosts", "blocked").status).toBe("skip");
    expect(readdirSync(dir).sort()).toEqual(["blocker", "inventory.json"]);
    rmSync(dir, { recursive: true });
    const bad = await cli(["doctor", "--inventory", scratch.join("no-inventory.json")], appliance.env);
    expect(bad.code).toBe(2);
  });

  it("--help says it is read-only", async () => {
    const help = await cli(["doctor", "--help"], appliance.env);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("Read-only: writes nothing anywhere");
  });
});
