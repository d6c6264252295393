import { startGitHubSim, type GitHubSim } from "@connect-ops/github-sim";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  cliErrorOf,
  cliTranscript,
  connectArgv,
  openSealedVault,
  parseJsonOutput,
  spawnCli,
  SuiteResources,
  testdirSync,
  writeLicense,
} from "@connect-ops/test-support";
import { failoverJson, replicateJson, statusJson, tokenJson } from "./support/cli-json.js";
import { expectNoLeak, runPlaces } from "./support/leaks.js";

// The built CLI against the GitHub simulator, replicating to `local` nodes
// (directories): one HA replica and two cluster nodes. The tests run in order
// and share the appliance, like the steps of a runbook.
const suite = new SuiteResources();
let sim: GitHubSim;
const scratch = testdirSync({ prefix: "e2e-replicate-" });
const dir = scratch.path;
const nodeNames = ["ghes-replica", "ghes-data-1", "ghes-data-2"];
let env: Record<string, string>;
const secrets: Record<string, string> = {};

function rememberSecrets(): void {
  const bundle = openSealedVault(join(dir, "state"));
  secrets["App private key"] = bundle.app.privateKeyPem;
  secrets[`token ${Object.keys(secrets).length}`] = bundle.token.value;
}

const cli = (...argv: string[]) => spawnCli(argv, env);
const inventoryArgs = ["--inventory", join(dir, "inventory.json")];
const vaultFile = (name: string) => readFileSync(join(dir, "state", "vault", name));
const nodeFile = (node: string, name: string) => readFileSync(join(dir, "nodes", node, name));
const statuses = (stdout: string) =>
  parseJsonOutput(replicateJson, stdout).nodes.map((node) => `${node.name}:${node.status}`);
/** The checks of the first replica that failed. */
const failedChecks = (stdout: string) =>
  (parseJsonOutput(failoverJson, stdout).replicas[0]?.checks ?? []).filter((check) => !check.ok);

beforeAll(async () => {
  sim = suite.hold(await startGitHubSim());
  env = { CONNECT_OPS_STATE_DIR: join(dir, "state"), CONNECT_OPS_CLOUD_TOKEN: sim.createAdminToken() };
  mkdirSync(join(dir, "nodes"));
  writeFileSync(
    join(dir, "inventory.json"),
    JSON.stringify({
      nodes: [
        { name: "ghes-replica", role: "replica", transport: "local", path: "nodes/ghes-replica" },
        { name: "ghes-data-1", role: "cluster", transport: "local", path: "nodes/ghes-data-1" },
        { name: "ghes-data-2", role: "cluster", transport: "local", path: "nodes/ghes-data-2" },
      ],
    }),
  );
  const license = writeLicense(dir);
  expect((await cli("init")).code).toBe(0);
  const connected = await cli(...connectArgv({ license }, sim.url));
  expect(connected.code).toBe(0);
  rememberSecrets();
});

afterAll(async () => {
  await suite[Symbol.asyncDispose]();
  scratch[Symbol.dispose]();
});

describe("replicate to local nodes (built CLI)", () => {
  it("refuses a bad inventory with exit 2, naming the field path, and writes nothing", async () => {
    const bad = join(dir, "bad-inventory.json");
    writeFileSync(
      bad,
      JSON.stringify({
        nodes: [{ name: "ghes-replica", role: "replica", transport: "local", path: "nodes/x", port: "122" }],
      }),
    );
    const run = await cli("--json", "replicate", "--inventory", bad);
    expect(run.code).toBe(2);
    expect(cliErrorOf(run.stdout).code).toBe("REPL_INVENTORY_INVALID");
    expect(run.stderr).toMatch(/^error\[REPL_INVENTORY_INVALID\]: .*nodes\[0\]\.port: .*— fix /m);
    expect(readdirSync(join(dir, "nodes"))).toEqual([]);
  });

  it("--nodes limits the run to the named nodes", async () => {
    const run = await cli("--json", "replicate", ...inventoryArgs, "--nodes", "ghes-data-2");
    expect(run.code).toBe(0);
    expect(statuses(run.stdout)).toEqual(["ghes-data-2:updated"]);
    expect(existsSync(join(dir, "nodes", "ghes-replica"))).toBe(false);
  });

  it("converges all nodes with byte-identical files (exit 0); a re-run reports unchanged", async () => {
    const run = await cli("--json", "replicate", ...inventoryArgs);
    expect(run.code).toBe(0);
    // The shape checks that each durationMs is a number; the rows are compared without it.
    const report = parseJsonOutput(replicateJson, run.stdout);
    expect(report.nodes.map(({ durationMs: _durationMs, ...row }) => row)).toEqual([
      {
        name: "ghes-replica",
        role: "replica",
        status: "updated",
        generationBefore: null,
        generationAfter: report.generation,
      },
      {
        name: "ghes-data-1",
        role: "cluster",
        status: "updated",
        generationBefore: null,
        generationAfter: report.generation,
      },
      {
        name: "ghes-data-2",
        role: "cluster",
        status: "unchanged",
        generationBefore: report.generation,
        generationAfter: report.generation,
      },
    ]);
    for (const node of nodeNames) {
      expect(nodeFile(node, "credentials.age").equals(vaultFile("credentials.age"))).toBe(true);
      expect(nodeFile(node, "meta.json").equals(vaultFile("meta.json"))).toBe(true);
    }
    const again = await cli("replicate", ...inventoryArgs);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain(`Converged: all 3 nodes hold generation ${report.generation} (3 unchanged).`);
  });

  it("failover-check: the replica is ready (exit 0) once enrolled and replicated", async () => {
    expect((await cli("node", "enroll", ...inventoryArgs, "--node", "ghes-replica")).code).toBe(0);
    expect((await cli("replicate", ...inventoryArgs)).code).toBe(0);
    rememberSecrets();
    const run = await cli("--json", "failover-check", ...inventoryArgs);
    expect(run.code).toBe(0);
    const report = parseJsonOutput(failoverJson, run.stdout);
    expect(report.ready).toBe(true);
    expect(report.replicas[0]?.checks.map((check) => `${check.name}:${check.ok}`)).toEqual([
      "reachable:true",
      "intact:true",
      "generation:true",
      "key-fingerprint:true",
      "token-ttl:true",
      "enrolled:true",
      "recipients:true",
      "identity:true",
    ]);
  });

  it("after a short-lived token is replicated, failover-check says not ready on token-ttl (exit 1)", async () => {
    sim.skewClock(-55 * 60); // tokens minted now expire in 5 minutes of our time
    try {
      expect((await cli("token", "--force")).code).toBe(0);
    } finally {
      sim.skewClock(0);
    }
    rememberSecrets();
    expect((await cli("replicate", ...inventoryArgs)).code).toBe(0);
    const run = await cli("--json", "failover-check", ...inventoryArgs);
    expect(run.code).toBe(1);
    const failed = failedChecks(run.stdout);
    expect(failed.map((check) => check.name)).toEqual(["token-ttl"]);
    expect(failed[0]?.detail).toMatch(/^token valid for \d+ s, margin 600 s$/);
  });

  it("a new token on the primary: status --inventory shows drift (exit 1), failover-check names the generation; replicate fixes both", async () => {
    expect(parseJsonOutput(tokenJson, (await cli("--json", "token")).stdout).minted).toBe(true); // the 5-minute token is inside the 10m margin
    rememberSecrets();
    const drift = await cli("--json", "status", "--offline", ...inventoryArgs);
    expect(drift.code).toBe(1);
    const report = parseJsonOutput(statusJson, drift.stdout);
    expect(report.nodes?.map((node) => node.drift)).toEqual(["behind", "behind", "behind"]);
    expect(report.nodes?.[0]).toMatchObject({
      name: "ghes-replica",
      status: "ok",
      generation: (report.vault?.generation ?? Number.NaN) - 1,
      keyFingerprint: report.vault?.keyFingerprint,
    });
    const human = await cli("status", "--offline", ...inventoryArgs);
    expect(human.stdout).toMatch(/^ {2}ghes-replica\s+replica\s+ok\s+\d+\s+SHA256:\S+\s+behind$/m);

    const notReady = await cli("--json", "failover-check", ...inventoryArgs, "--replica", "ghes-replica");
    expect(notReady.code).toBe(1);
    expect(failedChecks(notReady.stdout).map((check) => check.name)).toEqual(["generation", "token-ttl"]);

    const fixed = await cli("--json", "replicate", ...inventoryArgs);
    expect(fixed.code).toBe(0);
    expect(statuses(fixed.stdout)).toEqual(nodeNames.map((name) => `${name}:updated`));
    const clean = await cli("--json", "status", ...inventoryArgs);
    expect(clean.code).toBe(0);
    expect(parseJsonOutput(statusJson, clean.stdout).nodes?.map((node) => node.drift)).toEqual([
      "in-sync",
      "in-sync",
      "in-sync",
    ]);
    expect((await cli("failover-check", ...inventoryArgs)).code).toBe(0);
  });

  it("a new generation alone makes the replica not ready; --dry-run says what would change and writes nothing", async () => {
    expect((await cli("token", "--force")).code).toBe(0);
    rememberSecrets();
    const notReady = await cli("--json", "failover-check", ...inventoryArgs);
    expect(notReady.code).toBe(1);
    const failed = failedChecks(notReady.stdout);
    expect(failed.map((check) => check.name)).toEqual(["generation"]);
    expect(failed[0]?.detail).toMatch(/^node \d+, primary \d+$/);
    const before = nodeFile("ghes-replica", "meta.json");
    const run = await cli("--json", "replicate", ...inventoryArgs, "--dry-run");
    expect(run.code).toBe(0);
    expect(statuses(run.stdout)).toEqual(nodeNames.map((name) => `${name}:would-update`));
    expect(nodeFile("ghes-replica", "meta.json").equals(before)).toBe(true);
    expect((await cli("replicate", ...inventoryArgs)).code).toBe(0);
  });

  it("never prints or leaves a secret outside credentials.age", () => {
    const places: Record<string, string> = {};
    for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
      if (!entry.isFile() || entry.name === "credentials.age" || entry.name === "age-identity.txt") continue;
      places[join(entry.parentPath, entry.name)] = readFileSync(join(entry.parentPath, entry.name), "latin1");
    }
    Object.assign(places, runPlaces(cliTranscript));
    expect(Object.keys(secrets).length).toBeGreaterThanOrEqual(5);
    expectNoLeak(places, secrets);
  });
});
