import { NODE_TARGET, spawnCli, startSshNodes, testdirSync, type CliRun } from "@connect-ops/test-support";
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// Issue 14 item 7 over a real sshd: doctor's node rows (known_hosts entry, SSH login, target dir writable), each made
// to fail on purpose, and the all-pass case; the node's dirs and the known_hosts file are unchanged by any run.

let topology: Awaited<ReturnType<typeof startSshNodes>>;
const scratch = testdirSync({ prefix: "e2e-doctor-ssh-" });
const stateDir = join(scratch.path, "state");
const inventory = join(scratch.path, "inventory.json");
const trusted = join(scratch.path, "known_hosts");
const empty = join(scratch.path, "empty_known_hosts");
const env = { CONNECT_OPS_STATE_DIR: stateDir, CONNECT_OPS_CLOUD_TOKEN: "" };
const PARENT = NODE_TARGET.replace(/\/[^/]+$/, "");

interface Row {
  readonly check: string;
  readonly target: string;
  readonly status: string;
  readonly detail: string;
  readonly hint?: string;
}

async function doctor(...argv: string[]): Promise<{ run: CliRun; rows: Row[] }> {
  const run = await spawnCli(["--json", "doctor", "--inventory", inventory, ...argv], env);
  return { run, rows: (JSON.parse(run.stdout) as { rows: Row[] }).rows };
}

const nodeRow = (rows: readonly Row[], check: string): Row | undefined =>
  rows.find((row) => row.check === check && row.target === "ghes-replica");

/** Every path under the target's parent with its mode and mtime, read as root on the node. */
const nodeTree = () =>
  topology.nodes[0]?.exec(`find ${PARENT} -printf '%p %m %u %T@\\n' | sort`, "root") ?? Promise.resolve("");

beforeAll(async () => {
  topology = await startSshNodes([{ name: "ghes-replica", role: "replica" }]);
  topology.writeInventory(inventory);
  const node = topology.nodes[0];
  if (node === undefined) throw new Error("no node");
  writeFileSync(
    trusted,
    execFileSync("ssh-keyscan", ["-p", String(node.port), "127.0.0.1"], { stdio: ["ignore", "pipe", "ignore"] }),
  );
  writeFileSync(empty, "");
  expect((await spawnCli(["init"], env)).code).toBe(0);
});

afterAll(async () => {
  await topology[Symbol.asyncDispose]();
  scratch[Symbol.dispose]();
});

describe("doctor's node rows over SSH", () => {
  it("all pass with the trusted host key and the right login key: exit 0, nothing changes on the node or here", async () => {
    const before = { node: await nodeTree(), knownHosts: readFileSync(trusted, "utf8") };
    const { run, rows } = await doctor("--known-hosts", trusted);
    expect(run.code, run.stdout).toBe(0);
    for (const check of ["known-hosts", "ssh-login", "target-dir"])
      expect(nodeRow(rows, check)?.status, check).toBe("pass");
    expect({ node: await nodeTree(), knownHosts: readFileSync(trusted, "utf8") }).toEqual(before);
  });

  it("a known_hosts without the node's key: known-hosts fails with what to do, no key is recorded", async () => {
    const { run, rows } = await doctor("--known-hosts", empty);
    expect(run.code).toBe(1);
    expect(nodeRow(rows, "known-hosts")).toMatchObject({ status: "fail" });
    expect(nodeRow(rows, "known-hosts")?.hint).toBeTruthy();
    expect(nodeRow(rows, "ssh-login")?.status).toBe("skip");
    expect(readFileSync(empty, "utf8")).toBe("");
  });

  it("a login key the node does not accept: ssh-login fails (known-hosts passed: the host key was checked first)", async () => {
    const { run, rows } = await doctor("--known-hosts", trusted, "--identity-file", join(topology.dir, "wrong"));
    expect(run.code).toBe(1);
    expect(nodeRow(rows, "known-hosts")?.status).toBe("pass");
    expect(nodeRow(rows, "ssh-login")).toMatchObject({ status: "fail" });
    expect(nodeRow(rows, "ssh-login")?.hint).toBeTruthy();
  });

  it("a target dir the SSH user cannot create: target-dir fails with the command to fix it, nothing is created", async () => {
    const node = topology.nodes[0];
    if (node === undefined) throw new Error("no node");
    await node.exec(`rm -rf ${NODE_TARGET} && chmod 0555 ${PARENT}`, "root");
    try {
      const before = await nodeTree();
      const { run, rows } = await doctor("--known-hosts", trusted);
      expect(run.code).toBe(1);
      expect(nodeRow(rows, "ssh-login")?.status).toBe("pass");
      expect(nodeRow(rows, "target-dir")).toMatchObject({ status: "fail" });
      expect(nodeRow(rows, "target-dir")?.hint).toContain("install -d -m 700");
      expect(await nodeTree()).toBe(before);
    } finally {
      await node.exec(`chmod 0755 ${PARENT}`, "root");
    }
  });
});
