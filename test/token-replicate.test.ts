import { startGitHubSim, type GitHubSim } from "@connect-ops/github-sim";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  cliErrorOf,
  connectArgv,
  openSealedVault,
  parseJsonOutput,
  spawnCli,
  SuiteResources,
  testdirSync,
  writeLicense,
  type CliRun,
} from "@connect-ops/test-support";
import { tokenReplicateJson, vaultMetaJson } from "./support/cli-json.js";
import { expectNoLeak, runPlaces } from "./support/leaks.js";

// `token --replicate`: the five-minute cron keeps the replicas current in one line.
// The built CLI against the GitHub simulator, replicating to `local` nodes.
const suite = new SuiteResources();
let sim: GitHubSim;
const scratch = testdirSync({ prefix: "e2e-token-replicate-" });
const dir = scratch.path;
let env: Record<string, string>;
const runs: CliRun[] = [];
const secrets: Record<string, string> = {};

const cli = async (...argv: string[]): Promise<CliRun> => {
  const run = await spawnCli(argv, env);
  runs.push(run);
  return run;
};
const inventory = join(dir, "inventory.json");
const vaultFile = (name: string) => readFileSync(join(dir, "state", "vault", name));
const nodeFile = (node: string, name: string) => readFileSync(join(dir, "nodes", node, name));
const generation = () => parseJsonOutput(vaultMetaJson, vaultFile("meta.json").toString("utf8")).generation;
const statuses = (stdout: string) =>
  parseJsonOutput(tokenReplicateJson, stdout).replicate.nodes.map((node) => `${node.name}:${node.status}`);

beforeAll(async () => {
  sim = suite.hold(await startGitHubSim());
  env = { CONNECT_OPS_STATE_DIR: join(dir, "state"), CONNECT_OPS_CLOUD_TOKEN: sim.createAdminToken() };
  mkdirSync(join(dir, "nodes"));
  writeFileSync(
    inventory,
    JSON.stringify({
      nodes: [
        { name: "ghes-replica", role: "replica", transport: "local", path: "nodes/ghes-replica" },
        { name: "ghes-data-1", role: "cluster", transport: "local", path: "nodes/ghes-data-1" },
      ],
    }),
  );
  const license = writeLicense(dir);
  expect((await cli("init")).code).toBe(0);
  expect((await cli(...connectArgv({ license }, sim.url))).code).toBe(0);
});

afterAll(async () => {
  expectNoLeak(runPlaces(runs), secrets);
  await suite[Symbol.asyncDispose]();
  scratch[Symbol.dispose]();
});

describe("token --replicate (built CLI)", () => {
  it("node flags without --replicate are refused (exit 2) before anything is minted", async () => {
    const before = generation();
    const run = await cli("--json", "token", "--force", "--inventory", inventory);
    expect(run.code).toBe(2);
    expect(cliErrorOf(run.stdout).hint).toContain("--replicate");
    expect(generation()).toBe(before);
  });

  it("--replicate without nodes, or with a bad inventory, exits 2 and mints nothing", async () => {
    const before = generation();
    const none = await cli("--json", "token", "--force", "--replicate");
    expect(none.code).toBe(2);
    expect(cliErrorOf(none.stdout).code).toBe("CLI_USAGE");
    const bad = join(dir, "bad.json");
    writeFileSync(bad, JSON.stringify({ nodes: [{ name: "x", role: "boss", transport: "local", path: "n" }] }));
    const invalid = await cli("--json", "token", "--force", "--replicate", "--inventory", bad);
    expect(invalid.code).toBe(2);
    expect(cliErrorOf(invalid.stdout).code).toBe("REPL_INVENTORY_INVALID");
    expect(generation()).toBe(before);
  });

  it("mints and pushes the fresh token to every node in the same run (exit 0); the nodes hold the vault's pair", async () => {
    const run = await cli("--json", "token", "--force", "--replicate", "--inventory", inventory);
    expect(run.code).toBe(0);
    const output = parseJsonOutput(tokenReplicateJson, run.stdout);
    expect(output.minted).toBe(true);
    expect(statuses(run.stdout)).toEqual(["ghes-replica:updated", "ghes-data-1:updated"]);
    expect(output.replicate.generation).toBe(generation());
    for (const node of ["ghes-replica", "ghes-data-1"]) {
      expect(nodeFile(node, "credentials.age").equals(vaultFile("credentials.age"))).toBe(true);
      expect(nodeFile(node, "meta.json").equals(vaultFile("meta.json"))).toBe(true);
    }
    const bundle = openSealedVault(join(dir, "state"));
    secrets["App private key"] = bundle.app.privateKeyPem;
    secrets["installation token"] = bundle.token.value;
  });

  it("a cache hit still checks the nodes: nothing minted, every node unchanged (exit 0)", async () => {
    const run = await cli("--json", "token", "--replicate", "--inventory", inventory);
    expect(run.code).toBe(0);
    expect(parseJsonOutput(tokenReplicateJson, run.stdout).minted).toBe(false);
    expect(statuses(run.stdout)).toEqual(["ghes-replica:unchanged", "ghes-data-1:unchanged"]);
  });

  it("a node that cannot be written: the token is still sealed, the run exits 3 naming the node", async () => {
    const broken = join(dir, "broken.json");
    writeFileSync(join(dir, "nodes", "not-a-dir"), "a file where the node's parent dir should be");
    writeFileSync(
      broken,
      JSON.stringify({
        nodes: [
          { name: "ghes-replica", role: "replica", transport: "local", path: "nodes/ghes-replica" },
          { name: "ghes-data-9", role: "cluster", transport: "local", path: "nodes/not-a-dir/github-connect" },
        ],
      }),
    );
    const before = generation();
    const run = await cli("--json", "token", "--force", "--replicate", "--inventory", broken);
    expect(run.code).toBe(3);
    expect(generation()).toBeGreaterThan(before);
    expect(statuses(run.stdout)).toEqual(["ghes-replica:updated", "ghes-data-9:failed"]);
    expect(nodeFile("ghes-replica", "meta.json").equals(vaultFile("meta.json"))).toBe(true);
    const human = await cli("token", "--replicate", "--inventory", broken);
    expect(human.code).toBe(3);
    expect(human.stdout).toContain("ghes-data-9");
    const bundle = openSealedVault(join(dir, "state"));
    secrets["installation token (2)"] = bundle.token.value;
  });
});
