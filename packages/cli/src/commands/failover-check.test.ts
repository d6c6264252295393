import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { LocalTopology } from "../test-support/local-topology.js";

let topology: LocalTopology;
beforeAll(async () => {
  topology = await LocalTopology.create([
    { name: "replica-1", role: "replica" },
    { name: "replica-2", role: "replica" },
    { name: "cluster-1", role: "cluster" },
  ]);
  // The teardown: registered only once the topology exists.
  return () => topology[Symbol.asyncDispose]();
});

type Report = {
  ready: boolean;
  replicas: { name: string; ready: boolean; checks: { name: string; ok: boolean; detail: string }[] }[];
};
const failed = (report: Report) =>
  report.replicas.flatMap((replica) =>
    replica.checks.filter((check) => !check.ok).map((check) => `${replica.name}:${check.name}`),
  );

describe("connect-ops failover-check", () => {
  it("is not ready (exit 1) before replication: no credentials on the replicas", async () => {
    const run = await topology.cli(["--json", "failover-check", "--inventory", "inventory.json"]);
    expect(run.code).toBe(1);
    const report = JSON.parse(run.stdout) as Report;
    expect(report.ready).toBe(false);
    expect(failed(report)).toContain("replica-1:intact");
  });

  it("a replica not enrolled is NOT READY even with a current copy, and the hint is the exact enroll command", async () => {
    expect((await topology.cli(["replicate", "--inventory", "inventory.json"])).code).toBe(0);
    const run = await topology.cli(["--json", "failover-check", "--inventory", "inventory.json"]);
    expect(run.code).toBe(1);
    const report = JSON.parse(run.stdout) as Report & { replicas: { hint?: string }[] };
    expect(failed(report)).toEqual(["replica-1:enrolled", "replica-2:enrolled"]);
    expect(report.replicas[0]?.hint).toContain("connect-ops node enroll --inventory inventory.json --node replica-1");
    const human = await topology.cli(["failover-check", "--inventory", "inventory.json", "--replica", "replica-1"]);
    expect(human.stdout).toMatch(/^replica-1: NOT READY$/m);
    expect(human.stdout).toContain("→ run `connect-ops node enroll --inventory inventory.json --node replica-1`");
  });

  it("is ready (exit 0) once enrolled and replicated, for every replica and for --replica", async () => {
    for (const node of ["replica-1", "replica-2"]) {
      const enrolled = await topology.cli(["node", "enroll", "--inventory", "inventory.json", "--node", node]);
      expect(enrolled.code).toBe(0);
    }
    expect((await topology.cli(["replicate", "--inventory", "inventory.json"])).code).toBe(0);
    const all = await topology.cli(["--json", "failover-check", "--inventory", "inventory.json"]);
    expect(all.code).toBe(0);
    expect((JSON.parse(all.stdout) as Report).replicas.map((replica) => [replica.name, replica.ready])).toEqual([
      ["replica-1", true],
      ["replica-2", true],
    ]);
    const one = await topology.cli(["failover-check", "--inventory", "inventory.json", "--replica", "replica-2"]);
    expect(one.code).toBe(0);
    expect(one.stdout).toMatch(/^replica-2: READY$/m);
    expect(one.stdout).not.toContain("replica-1");
  });

  it("is not ready when the margin is longer than the token's life (exit 1, token-ttl)", async () => {
    const run = await topology.cli(["--json", "failover-check", "--inventory", "inventory.json", "--min-ttl", "2h"]);
    expect(run.code).toBe(1);
    expect(failed(JSON.parse(run.stdout) as Report)).toEqual(["replica-1:token-ttl", "replica-2:token-ttl"]);
  });

  it.each([
    [["--replica", "cluster-1"], "--replica cluster-1 has role cluster, not replica"],
    [["--replica", "nope"], "--replica nope: inventory.json lists no such node"],
    [["--replica", "../x"], "--replica expects one node name"],
    [["--min-ttl", "soon"], "--min-ttl is invalid"],
  ])("refuses %j with exit 2", async (args, message) => {
    const run = await topology.cli(["failover-check", "--inventory", "inventory.json", ...args]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(message);
  });

  it("refuses an inventory without replicas (exit 2: nothing could take over)", async () => {
    const inventory = topology.writeInventory(
      { nodes: [{ name: "cluster-1", role: "cluster", transport: "local", path: "nodes/cluster-1" }] },
      join(topology.dir, "no-replica.json"),
    );
    const run = await topology.cli(["failover-check", "--inventory", inventory]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('lists no node with role "replica"');
  });

  it("--help documents the exit codes and has an example", async () => {
    const run = await topology.cli(["failover-check", "--help"]);
    expect(run.stdout).toContain("never exits 3");
    expect(run.stdout).toContain(
      "connect-ops failover-check --inventory /data/user/common/connect-ops/inventory.json --replica ghes-replica --min-ttl 30m",
    );
  });
});
