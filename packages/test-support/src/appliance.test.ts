import { readFileSync, readlinkSync, statSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { applianceAt, connectArgv, connectedAppliance, initialisedAppliance, type CliRunner } from "./appliance.js";
import type { CliRun } from "./cli-runner.js";
import { stringContaining } from "./matchers.js";
import { testdir } from "./testdir.js";

const cloud = { url: "http://127.0.0.1:9", createAdminToken: () => "admin-token-1" };

/** A runner that records each call and answers with `code`. */
function recordingRunner(
  code = 0,
): CliRunner & { calls: { argv: readonly string[]; env: Record<string, string | undefined> }[] } {
  const calls: { argv: readonly string[]; env: Record<string, string | undefined> }[] = [];
  const runner = (argv: readonly string[], env: Record<string, string | undefined> = {}): Promise<CliRun> => {
    calls.push({ argv, env });
    return Promise.resolve({
      code,
      signal: null,
      stdout: "",
      stderr: code === 0 ? "" : "init: the state dir is not empty",
      argv,
      procArgv: "",
      killedByRunner: false,
      durationMs: 1,
    });
  };
  return Object.assign(runner, { calls });
}

describe("applianceAt", () => {
  it("lays out state, inventory, nodes and snapshots under the dir, with the cloud token in the env", () => {
    const layout = applianceAt("/x/a", "tok", ["n1"]);
    expect(layout).toEqual({
      dir: "/x/a",
      stateDir: "/x/a/state",
      env: { CONNECT_OPS_STATE_DIR: "/x/a/state", CONNECT_OPS_CLOUD_TOKEN: "tok" },
      license: "/x/a/license.json",
      inventory: "/x/a/inventory.json",
      dataDir: "/x/a/backup-data",
      nodeDirs: { n1: "/x/a/nodes/n1" },
      older: "/x/a/backup-data/20240101T000000",
      current: "/x/a/backup-data/20240102T000000",
    });
    expect(connectArgv(layout, cloud.url)).toEqual(
      expect.arrayContaining(["connect", "--cloud-url", cloud.url, "--license", "/x/a/license.json"]),
    );
  });
});

describe("initialisedAppliance", () => {
  it("writes the license, a local-node inventory and the snapshots, then runs init in the appliance's env", async () => {
    await using dir = await testdir();
    const connectOps = recordingRunner();
    const layout = await initialisedAppliance({
      dir: dir.join("a"),
      cloud,
      connectOps,
      nodes: ["r1", "c1"],
      snapshots: ["20240101T000000"],
    });
    expect(connectOps.calls).toEqual([{ argv: ["init"], env: layout.env }]);
    expect(JSON.parse(readFileSync(layout.inventory, "utf8"))).toEqual({
      nodes: [
        { name: "r1", role: "replica", transport: "local", path: "nodes/r1" },
        { name: "c1", role: "cluster", transport: "local", path: "nodes/c1" },
      ],
    });
    expect(JSON.parse(readFileSync(layout.license, "utf8"))).toMatchObject({
      customer_name: "Acme Corp",
      public_key: stringContaining("BEGIN PUBLIC KEY"),
    });
    expect(readFileSync(`${layout.older}/settings.json`, "utf8")).toBe("{}\n");
    expect(readlinkSync(`${layout.dataDir}/current`)).toBe("20240101T000000");
    expect(statSync(`${layout.dir}/nodes`).isDirectory()).toBe(true);
  });

  it("throws naming the command and its stderr when the CLI fails", async () => {
    await using dir = await testdir();
    await expect(initialisedAppliance({ dir: dir.join("a"), cloud, connectOps: recordingRunner(2) })).rejects.toThrow(
      "connect-ops init exited 2: init: the state dir is not empty",
    );
  });
});

describe("connectedAppliance", () => {
  it("connects to the given cloud after init and replicates to the inventory", async () => {
    await using dir = await testdir();
    const connectOps = recordingRunner();
    // The fake runner seals nothing, so reading the vault back fails: the calls before it are what is checked here.
    await expect(connectedAppliance({ dir: dir.join("a"), cloud, connectOps })).rejects.toThrow();
    const layout = applianceAt(dir.join("a"), "admin-token-1");
    expect(connectOps.calls.map((call) => call.argv)).toEqual([
      ["init"],
      connectArgv(layout, cloud.url),
      ["replicate", "--inventory", layout.inventory],
    ]);
    expect(readlinkSync(`${layout.dataDir}/current`)).toBe("20240102T000000");
  });
});
