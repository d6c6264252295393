import { existsSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { cliErrorOf, parseJsonOutput } from "@connect-ops/test-support";
import * as z from "zod";
import { LocalTopology } from "../test-support/local-topology.js";

let topology: LocalTopology;
beforeAll(async () => {
  topology = await LocalTopology.create();
  // The teardown: registered only once the topology exists.
  return () => topology[Symbol.asyncDispose]();
});

const replicateJson = z.object({
  dryRun: z.boolean(),
  generation: z.number(),
  nodes: z.array(
    z.object({
      name: z.string(),
      status: z.string(),
      generationBefore: z.number().nullable(),
      generationAfter: z.number().nullable(),
    }),
  ),
});
const json = (stdout: string) => parseJsonOutput(replicateJson, stdout);

describe("connect-ops replicate: flags", () => {
  it.each([
    [[], "no nodes: pass --inventory FILE or --cluster-conf FILE"],
    [
      ["--inventory", "a.json", "--cluster-conf", "cluster.conf"],
      "--inventory and --cluster-conf are mutually exclusive",
    ],
    [["--inventory", "inventory.json", "--concurrency", "0"], "--concurrency must be a whole number from 1 to 16"],
    [["--inventory", "inventory.json", "--concurrency", "17"], "--concurrency must be a whole number from 1 to 16"],
    [["--inventory", "inventory.json", "--concurrency", "2x"], "--concurrency must be a whole number from 1 to 16"],
    [
      ["--inventory", "inventory.json", "--nodes", "replica-1,,cluster-1"],
      "--nodes expects comma-separated node names",
    ],
    [["--inventory", "inventory.json", "--nodes", "replica-1,replica-1"], "--nodes names replica-1 more than once"],
    [
      ["--inventory", "inventory.json", "--nodes", "replica-9"],
      "--nodes names replica-9, which inventory.json does not list",
    ],
    [["--inventory", ""], "--inventory is empty"],
  ])("refuses %j with exit 2 and a message naming the flag", async (args, message) => {
    const run = await topology.cli(["replicate", ...args]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`error[CLI_USAGE]: ${message}`);
    expect(readdirSync(join(topology.dir, "nodes"))).toEqual([]);
  });

  it("refuses an invalid inventory with exit 2, naming the field path", async () => {
    const bad = topology.writeInventory(
      { nodes: [{ name: "replica-1", role: "standby", transport: "local", path: "x" }] },
      join(topology.dir, "bad.json"),
    );
    const run = await topology.cli(["--json", "replicate", "--inventory", bad]);
    expect(run.code).toBe(2);
    expect(cliErrorOf(run.stdout).code).toBe("REPL_INVENTORY_INVALID");
    expect(run.stderr).toContain("nodes[0].role");
  });

  it("refuses an unknown node field and a cluster.conf error with its line number", async () => {
    const conf = join(topology.dir, "cluster.conf");
    writeFileSync(conf, '[cluster "ghes-1"]\n  hostname = ghes-1\n  this is not git config\n');
    const run = await topology.cli(["replicate", "--cluster-conf", conf]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/error\[REPL_CLUSTER_CONF_INVALID\]: .*line 3/);
  });
});

describe("connect-ops replicate: local nodes", () => {
  it("--dry-run reports would-update and writes nothing", async () => {
    const run = await topology.cli(["--json", "replicate", "--inventory", "inventory.json", "--dry-run"]);
    expect(run.code).toBe(0);
    const report = json(run.stdout);
    expect(report.dryRun).toBe(true);
    expect(report.nodes.map((node) => node.status)).toEqual(["would-update", "would-update", "would-update"]);
    expect(existsSync(join(topology.nodeDir("replica-1"), "meta.json"))).toBe(false);
  });

  it("--nodes limits the run to the named nodes", async () => {
    const run = await topology.cli(["--json", "replicate", "--inventory", "inventory.json", "--nodes", "cluster-2"]);
    expect(run.code).toBe(0);
    expect(json(run.stdout).nodes.map((node) => [node.name, node.status])).toEqual([["cluster-2", "updated"]]);
    expect(existsSync(join(topology.nodeDir("replica-1"), "meta.json"))).toBe(false);
  });

  it("updates every node with byte-identical files, then reports them unchanged", async () => {
    const first = await topology.cli(["--json", "replicate", "--inventory", "inventory.json", "--concurrency", "2"]);
    expect(first.code).toBe(0);
    const { generation } = json(first.stdout);
    expect(json(first.stdout).nodes).toMatchObject([
      { name: "replica-1", status: "updated", generationBefore: null, generationAfter: generation },
      { name: "cluster-1", status: "updated", generationBefore: null, generationAfter: generation },
      { name: "cluster-2", status: "unchanged", generationBefore: generation, generationAfter: generation },
    ]);
    const primary = topology.primaryFiles();
    for (const name of ["replica-1", "cluster-1", "cluster-2"]) {
      const node = topology.nodeFiles(name);
      expect(node.sealed.equals(primary.sealed)).toBe(true);
      expect(node.meta.equals(primary.meta)).toBe(true);
    }
    const again = await topology.cli(["replicate", "--inventory", "inventory.json"]);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/^NODE\s+ROLE\s+STATUS\s+GENERATION\s+TIME$/m);
    expect(again.stdout).toMatch(/^replica-1\s+replica\s+unchanged\s+\d+\s+\d+ ms$/m);
    expect(again.stdout).toContain(`Converged: all 3 nodes hold generation ${generation} (3 unchanged).`);
  });

  it("a node that cannot be written fails with exit 3 while the others converge", async () => {
    const blocker = join(topology.dir, "nodes", "blocked");
    writeFileSync(blocker, "a file where a directory should be");
    const inventory = topology.writeInventory(
      {
        nodes: [
          { name: "replica-1", role: "replica", transport: "local", path: "nodes/replica-1" },
          { name: "blocked", role: "cluster", transport: "local", path: "nodes/blocked" },
        ],
      },
      join(topology.dir, "blocked.json"),
    );
    const run = await topology.cli(["--json", "replicate", "--inventory", inventory]);
    expect(run.code).toBe(3);
    expect(json(run.stdout).nodes.map((node) => node.status)).toEqual(["unchanged", "failed"]);
    const human = await topology.cli(["replicate", "--inventory", inventory]);
    expect(human.stdout).toMatch(/^Incomplete: 1 of 2 nodes did not converge \(1 unchanged, 1 failed\)\. Re-run/m);
  });

  it("shows live per-node progress on a TTY, without escape codes under NO_COLOR, and none with --no-progress", async () => {
    const plain = await topology.cli(["replicate", "--inventory", "inventory.json"], {
      isTTY: true,
      env: { ...topology.env, NO_COLOR: "1" },
    });
    expect(plain.code).toBe(0);
    expect(plain.stderr).toContain("replicating 0/3 · waiting for replica-1, cluster-1, cluster-2");
    expect(plain.stderr).not.toContain("\x1b");
    // The live line is erased at the end: the result on stdout reports every node, once.
    expect(plain.stderr.replace(/\r */gu, "").trim()).toMatch(/^(replicating \d\/3 · waiting for [^·]+)+$/u);
    const coloured = await topology.cli(["replicate", "--inventory", "inventory.json"], { isTTY: true });
    expect(coloured.stderr).toContain("\r\x1b[2K");
    const quiet = await topology.cli(["--no-progress", "replicate", "--inventory", "inventory.json"], { isTTY: true });
    expect(quiet.stderr).toBe("");
    const piped = await topology.cli(["replicate", "--inventory", "inventory.json"]);
    expect(piped.stderr).toBe("");
  });

  it("--help shows a realistic example and the exit codes", async () => {
    const run = await topology.cli(["replicate", "--help"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(
      "connect-ops replicate --inventory /data/user/common/connect-ops/inventory.json --dry-run",
    );
    expect(run.stdout).toContain("Exit: 0 every node converged");
  });
});
