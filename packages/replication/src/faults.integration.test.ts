import { execFile, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { NodeSpec } from "./inventory.js";
import { probeNodes } from "./probe-nodes.js";
import { replicateToNodes, type NodeResult } from "./replicate.js";
import { createTransportOpener } from "./transport-opener.js";
import { NodeContainer, SshFixture, startNodes, SuiteResources } from "@connect-ops/test-support";
import { makePayload } from "./test-support/payloads.js";

const run = promisify(execFile);

// One HA replica and three cluster nodes, each its own container; the tests
// run in order and each leaves the topology converged for the next.
const suite = new SuiteResources();
let ssh: SshFixture;
let nodes: NodeContainer[] & AsyncDisposable;
let specs: NodeSpec[];
const sshOptions = () => ({ identityFile: ssh.identityFile, knownHostsFile: ssh.knownHostsFile });
const statuses = (results: NodeResult[]) => Object.fromEntries(results.map((result) => [result.name, result.status]));
const node = (name: string) => nodes.find((candidate) => candidate.name === name) as NodeContainer;
const inodes = async (names: string[]) =>
  Promise.all(names.map((name) => node(name).exec("stat -c %i /data/user/common/github-connect/meta.json")));

beforeAll(async () => {
  ssh = suite.hold(await SshFixture.create());
  nodes = suite.hold(
    await startNodes(
      [
        { name: "replica-1", role: "replica" },
        { name: "cluster-1", role: "cluster" },
        { name: "cluster-2", role: "cluster" },
        { name: "cluster-3", role: "cluster" },
      ],
      ssh.publicKey,
    ),
  );
  await ssh.trust(...nodes);
  specs = nodes.map((container) => container.spec());
}, 300_000);

afterAll(() => suite[Symbol.asyncDispose](), 120_000);

describe("replication faults over real SSH", () => {
  it("updates all four nodes, then reports them unchanged", async () => {
    expect(Object.values(statuses(await replicateToNodes(specs, makePayload(1), { ssh: sshOptions() })))).toEqual(
      Array(4).fill("updated"),
    );
    expect(Object.values(statuses(await replicateToNodes(specs, makePayload(1), { ssh: sshOptions() })))).toEqual(
      Array(4).fill("unchanged"),
    );
  });

  it("a node stopped before the run is unreachable; after restart a re-run converges it and touches no other node", async () => {
    await node("cluster-3").docker("stop", "-t", "1");
    const first = await replicateToNodes(specs, makePayload(2), {
      ssh: sshOptions(),
      retries: 1,
      retryBaseDelayMs: 50,
    });
    expect(statuses(first)).toEqual({
      "replica-1": "updated",
      "cluster-1": "updated",
      "cluster-2": "updated",
      "cluster-3": "unreachable",
    });
    expect(first[3]?.error?.code).toBe("REPL_UNREACHABLE");

    await node("cluster-3").restart();
    const others = ["replica-1", "cluster-1", "cluster-2"];
    const before = await inodes(others);
    const second = await replicateToNodes(specs, makePayload(2), { ssh: sshOptions() });
    expect(statuses(second)).toEqual({
      "replica-1": "unchanged",
      "cluster-1": "unchanged",
      "cluster-2": "unchanged",
      "cluster-3": "updated",
    });
    expect(second[3]).toMatchObject({ generationBefore: 1, generationAfter: 2 });
    expect(await inodes(others)).toEqual(before);
  });

  it("a node frozen before the run (docker pause) times out within the connect bound", async () => {
    await node("cluster-2").docker("pause");
    try {
      const started = Date.now();
      const results = await replicateToNodes(specs, makePayload(3), {
        ssh: sshOptions(),
        connectTimeoutMs: 2000,
        retries: 0,
      });
      const elapsed = Date.now() - started;
      expect(statuses(results)["cluster-2"]).toBe("unreachable");
      expect(results[2]?.error?.code).toBe("REPL_TIMEOUT");
      expect(elapsed).toBeLessThan(2000 + 3000);
      expect(results.filter((result) => result.status === "updated")).toHaveLength(3);
    } finally {
      await node("cluster-2").docker("unpause");
    }
  });

  it("a node frozen mid-run, after its connection is up, times out within the operation bound", async () => {
    const open = await createTransportOpener(specs, sshOptions());
    const freezeAfterConnect: typeof open = async (spec, timeout, signal) => {
      const transport = await open(spec, timeout, signal);
      if (spec.name === "cluster-2") await node("cluster-2").docker("pause");
      return transport;
    };
    try {
      const started = Date.now();
      const results = await replicateToNodes(specs, makePayload(4), {
        openTransport: freezeAfterConnect,
        operationTimeoutMs: 2000,
        retries: 0,
      });
      expect(Date.now() - started).toBeLessThan(2000 + 3000);
      expect(results[2]).toMatchObject({ status: "unreachable", error: { code: "REPL_TIMEOUT" } });
    } finally {
      await node("cluster-2").docker("unpause");
    }
    expect(statuses(await replicateToNodes(specs, makePayload(4), { ssh: sshOptions() }))["cluster-2"]).toBe("updated");
  });

  it("refuses a changed host key (container recreated), even with acceptNewHostKeys", async () => {
    await node("cluster-1").recreate();
    for (const acceptNewHostKeys of [false, true]) {
      const results = await replicateToNodes(specs, makePayload(4), { ssh: { ...sshOptions(), acceptNewHostKeys } });
      expect(results[1]).toMatchObject({ status: "failed", error: { code: "REPL_HOST_KEY_CHANGED" } });
      expect(results[1]?.error?.message).toMatch(/man-in-the-middle/);
      expect(statuses(results)["replica-1"]).toBe("unchanged");
    }
    // The operator checks the new key out of band and replaces the entry.
    await run("ssh-keygen", ["-R", `[127.0.0.1]:${node("cluster-1").port}`, "-f", ssh.knownHostsFile]);
    await ssh.trust(node("cluster-1"));
    expect(statuses(await replicateToNodes(specs, makePayload(4), { ssh: sshOptions() }))["cluster-1"]).toBe("updated");
  });

  it("a read-only target fails the node, keeps its old files and leaves no temp files", async () => {
    const replica = node("replica-1");
    await replica.exec("chmod 0500 /data/user/common/github-connect");
    try {
      const results = await replicateToNodes(specs, makePayload(5), { ssh: sshOptions(), nodes: ["replica-1"] });
      expect(results[0]).toMatchObject({ status: "failed", error: { code: "REPL_REMOTE_WRITE_FAILED" } });
      expect(results[0]?.error?.message).toMatch(/Permission denied/);
    } finally {
      await replica.exec("chmod 0700 /data/user/common/github-connect");
    }
    const [probe] = await probeNodes(specs, { ssh: sshOptions(), nodes: ["replica-1"] });
    expect(probe).toMatchObject({
      generation: 4,
      consistent: true,
      tempFiles: 0,
      sealedSha256: makePayload(4).sealedSha256,
    });
  });

  it("a full disk fails the node, keeps its old files and leaves no temp files", async () => {
    await using full = await NodeContainer.start("tiny-disk", "cluster", ssh.publicKey, { tmpfsAtTarget: "size=64k" });
    await ssh.trust(full);
    const spec = [full.spec()];
    expect(statuses(await replicateToNodes(spec, makePayload(1), { ssh: sshOptions() }))).toEqual({
      "tiny-disk": "updated",
    });
    const big = makePayload(2, Buffer.alloc(200 * 1024, 7));
    const results = await replicateToNodes(spec, big, { ssh: sshOptions() });
    expect(results[0]).toMatchObject({ status: "failed", error: { code: "REPL_REMOTE_WRITE_FAILED" } });
    expect(results[0]?.error?.message).toMatch(/No space left on device/);
    const [probe] = await probeNodes(spec, { ssh: sshOptions() });
    expect(probe).toMatchObject({
      generation: 1,
      consistent: true,
      tempFiles: 0,
      sealedSha256: makePayload(1).sealedSha256,
    });
  });

  it("a wrong SSH key gives an auth error naming the node and the user, without retries", async () => {
    const results = await replicateToNodes(specs, makePayload(4), {
      ssh: { ...sshOptions(), identityFile: ssh.wrongIdentityFile },
      nodes: ["cluster-3"],
    });
    expect(results[0]).toMatchObject({ status: "failed", error: { code: "REPL_AUTH_FAILED" } });
    expect(results[0]?.error?.message).toContain("cluster-3");
    expect(results[0]?.error?.message).toContain("user admin");
  });

  it("logs in with an ssh-agent key, alone or after an identity file the node refuses", async () => {
    const dir = await mkdtemp(join(tmpdir(), "connect-ops-agent-"));
    const socket = join(dir, "agent.sock");
    const agent = spawn("ssh-agent", ["-D", "-a", socket], { stdio: "ignore" });
    try {
      for (let tries = 0; tries < 50 && !existsSync(socket); tries++) await sleep(100);
      await run("ssh-add", [ssh.identityFile], { env: { ...process.env, SSH_AUTH_SOCK: socket } });
      const agentOnly = await probeNodes(specs, {
        ssh: { knownHostsFile: ssh.knownHostsFile, agentSocket: socket },
        nodes: ["cluster-3"],
      });
      expect(agentOnly[0]?.error).toBeUndefined();
      expect(["ok", "absent"]).toContain(agentOnly[0]?.status);
      const fallback = await probeNodes(specs, {
        ssh: { knownHostsFile: ssh.knownHostsFile, identityFile: ssh.wrongIdentityFile, agentSocket: socket },
        nodes: ["cluster-3"],
      });
      expect(fallback[0]?.error).toBeUndefined();
      expect(["ok", "absent"]).toContain(fallback[0]?.status);
    } finally {
      agent.kill();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
