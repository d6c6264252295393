import { startGitHubSim, type GitHubSim } from "@connect-ops/github-sim";
import { CURRENT_SNAPSHOT, connectedAppliance, spawnCli, testdirSync, type Appliance } from "@connect-ops/test-support";
import { spawnSync } from "node:child_process";
import { readFileSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// Issue 16 item 2: `check` is a monitoring plugin (exit 0/1/2/3 = OK/WARNING/CRITICAL/UNKNOWN, one status
// line with perfdata); `metrics` writes a Prometheus textfile that promtool accepts.

/** The monitoring-plugins guidelines: `SERVICE STATE - text | 'label'=value[UOM];[warn];[crit];[min];[max] …`. */
const STATUS_LINE = /^CONNECT-OPS (OK|WARNING|CRITICAL|UNKNOWN) - [^|\n]+(?: \| (.+))?$/;
const PERF_ITEM = /^'?[A-Za-z_][A-Za-z0-9_ ]*'?=(-?[0-9.]+|U)(s|%|B|KB|MB|TB|c)?(;[-0-9.:~@]*){0,4}$/;

function parseStatus(stdout: string): { state: string; perf: Record<string, string> } {
  const first = stdout.split("\n")[0] ?? "";
  const match = STATUS_LINE.exec(first);
  expect(match, `not a plugin status line: ${first}`).not.toBeNull();
  const perf: Record<string, string> = {};
  for (const item of (match?.[2] ?? "").split(" ").filter(Boolean)) {
    expect(item, `perfdata item ${item}`).toMatch(PERF_ITEM);
    const [label = "", value = ""] = item.split("=");
    perf[label] = value;
  }
  return { state: match?.[1] ?? "", perf };
}

const scratch = testdirSync({ prefix: "e2e-monitoring-" });
let sim: GitHubSim;
let appliance: Appliance;

/** A connected appliance whose replica is enrolled (its own identity), so failover readiness can be READY. */
async function enrolledAppliance(dir: string, cloud: GitHubSim): Promise<Appliance> {
  const built = await connectedAppliance({ dir, cloud, connectOps: spawnCli });
  const enroll = await spawnCli(["node", "enroll", "--inventory", built.inventory, "--node", "replica-1"], built.env);
  expect(enroll.code, enroll.stderr).toBe(0);
  const replicate = await spawnCli(["replicate", "--inventory", built.inventory], built.env);
  expect(replicate.code, replicate.stderr).toBe(0);
  return built;
}

beforeAll(async () => {
  sim = await startGitHubSim();
  appliance = await enrolledAppliance(join(scratch.path, "appliance"), sim);
});

afterAll(async () => {
  await sim.close();
  scratch[Symbol.dispose]();
});

describe("connect-ops check", () => {
  it("is OK with perfdata for a connected appliance whose nodes and replica are current", async () => {
    const run = await spawnCli(["check", "--inventory", appliance.inventory], appliance.env);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    const { state, perf } = parseStatus(run.stdout);
    expect(state).toBe("OK");
    expect(run.stdout).toMatch(/token expires in \d+ min, generation \d+, 3\/3 nodes in sync, 1\/1 replicas ready/);
    expect(perf.token_ttl_seconds).toMatch(/^\d+s;600:;300:$/);
    expect(perf.nodes_behind).toBe("0;0;;0;3");
    expect(perf.replicas_ready).toBe("1;;;0;1");
    expect(perf.generation).toMatch(/^\d+;;;0$/);
  });

  it("is WARNING when the token expires sooner than --warn-ttl, CRITICAL sooner than --min-ttl", async () => {
    const warning = await spawnCli(["check", "--warn-ttl", "2h"], appliance.env);
    expect(parseStatus(warning.stdout).state).toBe("WARNING");
    expect(warning.stdout).toMatch(/token expires in \d+ min/);
    expect(warning.code).toBe(1);
    const critical = await spawnCli(["check", "--warn-ttl", "3h", "--min-ttl", "2h"], appliance.env);
    expect(parseStatus(critical.stdout).state).toBe("CRITICAL");
    expect(critical.stdout).toContain("is the token refresh running?");
    expect(critical.code).toBe(2);
  });

  it("is CRITICAL when a replica could not take over, naming it", async () => {
    const copy = testdirSync({ prefix: "e2e-monitoring-replica-" });
    try {
      const broken = await enrolledAppliance(join(copy.path, "a"), sim);
      rmSync(join(broken.nodeDirs["replica-1"] ?? "", "credentials.age"), { force: true, recursive: true });
      const run = await spawnCli(["check", "--inventory", broken.inventory, "--offline"], broken.env);
      expect(parseStatus(run.stdout).state).toBe("CRITICAL");
      expect(run.stdout).toContain("replica replica-1 not ready for failover");
      expect(run.code).toBe(2);
    } finally {
      copy[Symbol.dispose]();
    }
  });

  it("is CRITICAL for a state dir that never connected", async () => {
    const empty = testdirSync({ prefix: "e2e-monitoring-empty-" });
    try {
      const run = await spawnCli(["--state-dir", empty.path, "check", "--offline"], appliance.env);
      expect(parseStatus(run.stdout).state).toBe("CRITICAL");
      expect(run.stdout).toContain("not connected");
      expect(run.code).toBe(2);
    } finally {
      empty[Symbol.dispose]();
    }
  });

  it("is UNKNOWN (3), never OK or CRITICAL, when the cloud does not answer", async () => {
    const other = testdirSync({ prefix: "e2e-monitoring-down-" });
    const downSim = await startGitHubSim();
    try {
      const down = await connectedAppliance({ dir: join(other.path, "a"), cloud: downSim, connectOps: spawnCli });
      await downSim.close();
      const run = await spawnCli(["check"], down.env);
      expect(parseStatus(run.stdout).state).toBe("UNKNOWN");
      expect(run.stdout).toContain("cannot read the state or reach the cloud");
      expect(run.code).toBe(3);
    } finally {
      other[Symbol.dispose]();
    }
  });

  it("answers bad usage with UNKNOWN (3) and a status line, not the CLI's exit 2", async () => {
    const unknownFlag = await spawnCli(["check", "--no-such-flag"], appliance.env);
    expect(unknownFlag.stdout).toMatch(/^CONNECT-OPS UNKNOWN - bad usage: unknown option '--no-such-flag'/);
    expect(unknownFlag.code).toBe(3);
    const badDuration = await spawnCli(["check", "--warn-ttl", "soon"], appliance.env);
    expect(parseStatus(badDuration.stdout).state).toBe("UNKNOWN");
    expect(badDuration.code).toBe(3);
    const missingInventory = await spawnCli(["check", "--inventory", join(scratch.path, "nope.json")], appliance.env);
    expect(parseStatus(missingInventory.stdout).state).toBe("UNKNOWN");
    expect(missingInventory.code).toBe(3);
  });
});

describe("connect-ops metrics", () => {
  it("writes a textfile promtool accepts, with every family and the nodes, replicas and successes", async () => {
    const scan = await spawnCli(["backup", "scan", appliance.dataDir], appliance.env);
    expect(scan.code, scan.stderr).toBe(0);
    const out = join(scratch.path, "textfile", "connect_ops.prom");
    spawnSync("mkdir", ["-p", join(scratch.path, "textfile")]);
    const run = await spawnCli(["metrics", "--out", out, "--inventory", appliance.inventory], appliance.env);
    expect(run.code, run.stderr).toBe(0);
    expect(statSync(out).mode & 0o777).toBe(0o644);
    const text = readFileSync(out, "utf8");
    const promtool = spawnSync("promtool", ["check", "metrics"], { input: text, encoding: "utf8" });
    expect(promtool.status, promtool.stdout + promtool.stderr).toBe(0);
    const generation = /^connect_ops_vault_generation (\d+)$/m.exec(text)?.[1];
    expect(generation).toMatch(/^\d+$/);
    for (const node of ["replica-1", "data-1", "data-2"])
      expect(text).toContain(`connect_ops_node_generation{node="${node}"} ${generation ?? ""}`);
    expect(text).toContain('connect_ops_failover_ready{replica="replica-1"} 1');
    expect(text).toMatch(/^connect_ops_token_expiry_timestamp_seconds \d{10}$/m);
    // connectedAppliance ran replicate; nothing ran token on its own yet.
    expect(text).toMatch(/^connect_ops_last_success_timestamp_seconds\{command="replicate"\} \d{10}$/m);
    expect(text).not.toContain('command="token"');
    expect(text).toContain(`connect_ops_backup_residue_findings{snapshot="${CURRENT_SNAPSHOT}"} 0`);
    const token = await spawnCli(["token"], appliance.env);
    expect(token.code).toBe(0);
    await spawnCli(["metrics", "--out", out], appliance.env);
    expect(readFileSync(out, "utf8")).toMatch(
      /^connect_ops_last_success_timestamp_seconds\{command="token"\} \d{10}$/m,
    );
  });

  it("holds no secret", async () => {
    const out = join(scratch.path, "secret-check.prom");
    await spawnCli(["metrics", "--out", out, "--inventory", appliance.inventory], appliance.env);
    const text = readFileSync(out, "utf8");
    expect(text).not.toContain(appliance.secrets.token);
    for (const line of appliance.secrets.pem.split("\n").filter((l) => l.length > 20)) expect(text).not.toContain(line);
  });
});

describe("--json and usage errors (issue 16 item 5)", () => {
  it("prints the error object on stdout for a usage error under --json", async () => {
    const run = await spawnCli(["--json", "status", "--no-such-flag"], appliance.env);
    expect(run.code).toBe(2);
    const parsed = JSON.parse(run.stdout) as { error: { code: string; message: string } };
    expect(parsed.error.code).toBe("CLI_USAGE");
    expect(parsed.error.message).toContain("--no-such-flag");
  });
});
