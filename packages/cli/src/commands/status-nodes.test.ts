import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { LocalTopology } from "../test-support/local-topology.js";

let topology: LocalTopology;
beforeAll(async () => {
  topology = await LocalTopology.create();
  // The teardown: registered only once the topology exists.
  return () => topology[Symbol.asyncDispose]();
});

type Status = {
  nodes?: { name: string; generation: number | null; keyFingerprint: string | null; drift: string; status: string }[];
  vault: { generation: number; keyFingerprint: string };
};
const drifts = (stdout: string) => (JSON.parse(stdout) as Status).nodes?.map((node) => `${node.name}:${node.drift}`);

describe("connect-ops status --inventory", () => {
  it("has no nodes field without a topology", async () => {
    const run = await topology.cli(["--json", "status", "--offline"]);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).not.toHaveProperty("nodes");
  });

  it("reports missing nodes as drift (exit 1), then in-sync with the vault's generation and key after replicate", async () => {
    const before = await topology.cli(["--json", "status", "--offline", "--inventory", "inventory.json"]);
    expect(before.code).toBe(1);
    expect(drifts(before.stdout)).toEqual(["replica-1:missing", "cluster-1:missing", "cluster-2:missing"]);
    expect((await topology.cli(["replicate", "--inventory", "inventory.json"])).code).toBe(0);
    const after = await topology.cli(["--json", "status", "--inventory", "inventory.json"]);
    expect(after.code).toBe(0);
    const report = JSON.parse(after.stdout) as Status;
    expect(report.nodes?.[0]).toMatchObject({
      status: "ok",
      generation: report.vault.generation,
      keyFingerprint: report.vault.keyFingerprint,
      drift: "in-sync",
    });
  });

  it("tells behind and diverged nodes apart, and exits 3 when a node cannot be read but none drifted", async () => {
    expect((await topology.cli(["token", "--force"])).code).toBe(0);
    expect(
      (await topology.cli(["replicate", "--inventory", "inventory.json", "--nodes", "cluster-1,cluster-2"])).code,
    ).toBe(0);
    // A torn pair on cluster-2: meta.json of this generation next to other sealed bytes.
    writeFileSync(join(topology.nodeDir("cluster-2"), "credentials.age"), "not the sealed file");
    const run = await topology.cli(["--json", "status", "--offline", "--inventory", "inventory.json"]);
    expect(run.code).toBe(1);
    expect(drifts(run.stdout)).toEqual(["replica-1:behind", "cluster-1:in-sync", "cluster-2:diverged"]);
    const human = await topology.cli(["status", "--offline", "--inventory", "inventory.json"]);
    expect(human.stdout).toContain("DRIFT on replica-1, cluster-2: run `connect-ops replicate`");

    expect((await topology.cli(["replicate", "--inventory", "inventory.json"])).code).toBe(0);
    rmSync(topology.nodeDir("cluster-2"), { recursive: true });
    writeFileSync(topology.nodeDir("cluster-2"), "a file where the node's directory should be");
    const unreadable = await topology.cli([
      "--json",
      "status",
      "--offline",
      "--inventory",
      "inventory.json",
      "--nodes",
      "replica-1,cluster-2",
    ]);
    expect(drifts(unreadable.stdout)).toEqual(["replica-1:in-sync", "cluster-2:unknown"]);
    expect(unreadable.code).toBe(3);
  });
});
