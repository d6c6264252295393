import { startGitHubSim, type GitHubSim } from "@connect-ops/github-sim";
import { execFileSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  cliTranscript,
  NODE_TARGET,
  snapshotCli,
  startSshNodes,
  testdirSync,
  writeLicense,
} from "@connect-ops/test-support";
import { expectNoLeak, runPlaces } from "./support/leaks.js";

// Issue 15, items 1 and 2, with the built CLI over real SSH (one HA replica,
// one cluster node, each an sshd container): the false READY is gone, an
// enrolled replica is READY, a rehearsal catches a damaged identity, and the
// disaster-recovery sequence converges. Tests run in order, like a runbook.
let sim: GitHubSim;
let topology: Awaited<ReturnType<typeof startSshNodes>>;
let snapshot: Awaited<ReturnType<typeof snapshotCli>>;
const scratch = testdirSync({ prefix: "e2e-failover-ha-" });
const dir = scratch.path;
const inventory = join(dir, "inventory.json");
const HOSTNAME = "ghes.example.com";
let env: Record<string, string>;
const secrets: Record<string, string> = {};
const cli = (argv: string[], runEnv = env) => snapshot.run(argv, runEnv);
const identityPath = `${NODE_TARGET}/node-identity.txt`;
type Report = {
  ready: boolean;
  replicas: { name: string; checks: { name: string; ok: boolean; detail: string }[]; hint?: string }[];
};
const failing = (stdout: string) =>
  (JSON.parse(stdout) as Report).replicas.flatMap((replica) =>
    replica.checks.filter((check) => !check.ok).map((check) => `${replica.name}:${check.name}`),
  );

beforeAll(async () => {
  snapshot = await snapshotCli();
  sim = await startGitHubSim();
  env = { CONNECT_OPS_STATE_DIR: join(dir, "state"), CONNECT_OPS_CLOUD_TOKEN: sim.createAdminToken() };
  topology = await startSshNodes([
    { name: "ghes-replica", role: "replica" },
    { name: "ghes-data-1", role: "cluster" },
  ]);
  topology.writeInventory(inventory);
  const license = writeLicense(dir);
  expect((await cli(["init"])).code).toBe(0);
  const connected = await cli([
    "connect",
    "--cloud-url",
    sim.url,
    "--hostname",
    HOSTNAME,
    "--ghes-version",
    "3.14.2",
    "--license",
    license,
    "--account",
    "enterprise:acme",
  ]);
  expect(connected.code, connected.stderr).toBe(0);
  const plaintext = execFileSync("age", [
    "-d",
    "-i",
    join(dir, "state", "age-identity.txt"),
    join(dir, "state", "vault", "credentials.age"),
  ]);
  const bundle = JSON.parse(plaintext.toString()) as { app: { privateKeyPem: string }; token: { value: string } };
  secrets["App private key"] = bundle.app.privateKeyPem;
  secrets["token"] = bundle.token.value;
  expect((await cli(["replicate", "--inventory", inventory, "--accept-new-host-keys"])).code).toBe(0);
}, 600_000);

afterAll(async () => {
  await topology[Symbol.asyncDispose]();
  await sim.close();
  snapshot[Symbol.dispose]();
  scratch[Symbol.dispose]();
}, 120_000);

describe("HA readiness and disaster recovery over real SSH (built CLI)", () => {
  it("a replica that is not enrolled is NOT READY (exit 1) with the exact enroll command, though its copy is current", async () => {
    const run = await cli(["--json", "failover-check", "--inventory", inventory]);
    expect(run.code).toBe(1);
    expect(failing(run.stdout)).toEqual(["ghes-replica:enrolled"]);
    expect((JSON.parse(run.stdout) as Report).replicas[0]?.hint).toContain(
      `connect-ops node enroll --inventory ${inventory} --node ghes-replica`,
    );
  });

  it("node enroll writes a 0600 identity to the node only, records its recipient and hash, and reseals the vault; a re-run writes nothing", async () => {
    const before = JSON.parse(readFileSync(join(dir, "state", "vault", "meta.json"), "utf8")) as { generation: number };
    const run = await cli(["--json", "node", "enroll", "--inventory", inventory, "--node", "ghes-replica"]);
    expect(run.code, run.stderr).toBe(0);
    const outcome = JSON.parse(run.stdout) as { recipient: string; identitySha256: string; generation: number };
    expect(outcome.generation).toBe(before.generation + 1);
    const node = topology.nodes[0];
    if (node === undefined) throw new Error("no replica container");
    expect((await node.exec(`stat -c %a ${identityPath}`)).trim()).toBe("600");
    expect((await node.exec(`sha256sum < ${identityPath}`)).split(" ")[0]).toBe(outcome.identitySha256);
    const identity = (await node.exec(`grep AGE-SECRET-KEY ${identityPath}`)).trim();
    expect(identity).toMatch(/^AGE-SECRET-KEY-1/);
    secrets["node identity"] = identity;
    // The identity is nowhere on the primary's side: not in the state dir, not in any output.
    for (const name of readdirSync(join(dir, "state"), { recursive: true, encoding: "utf8" })) {
      const path = join(dir, "state", name);
      if (name.endsWith(".json") || name.endsWith(".txt")) expect(readFileSync(path, "utf8")).not.toContain(identity);
    }
    const meta = JSON.parse(readFileSync(join(dir, "state", "vault", "meta.json"), "utf8")) as { recipients: string[] };
    expect(meta.recipients).toContain(outcome.recipient);
    const again = await cli(["--json", "node", "enroll", "--inventory", inventory, "--node", "ghes-replica"]);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ identityWritten: false, resealed: false });
  });

  it("enrolled and replicated: READY (exit 0), and --rehearse opens the copy with the node's identity and authenticates", async () => {
    expect((await cli(["replicate", "--inventory", inventory])).code).toBe(0);
    const ready = await cli(["failover-check", "--inventory", inventory]);
    expect(ready.code, ready.stdout).toBe(0);
    expect(ready.stdout).toMatch(/^ghes-replica: READY$/m);
    const rehearsed = await cli(["--json", "failover-check", "--inventory", inventory, "--rehearse"]);
    expect(rehearsed.code, rehearsed.stdout).toBe(0);
    const checks = (JSON.parse(rehearsed.stdout) as Report).replicas[0]?.checks ?? [];
    expect(checks.find((check) => check.name === "rehearsal")).toMatchObject({ ok: true });
  });

  it("--rehearse with a damaged node identity is NOT READY (exit 1) with the reason; nothing is written", async () => {
    const node = topology.nodes[0];
    if (node === undefined) throw new Error("no replica container");
    const original = await node.exec(`base64 -w0 < ${identityPath}`);
    // One character of the key changed: still an AGE-SECRET-KEY line, no longer a valid key (bech32 checksum).
    const key = secrets["node identity"] ?? "";
    const at = 30;
    const damaged = `${key.slice(0, at)}${key[at] === "Q" ? "P" : "Q"}${key.slice(at + 1)}`;
    await node.exec(`printf '%s\\n' '${damaged}' > ${identityPath}`);
    const listing = await node.exec(`ls -la ${NODE_TARGET}`);
    const run = await cli(["--json", "failover-check", "--inventory", inventory, "--rehearse"]);
    expect(run.code).toBe(1);
    expect(failing(run.stdout)).toEqual(["ghes-replica:identity", "ghes-replica:rehearsal"]);
    const rehearsal = (JSON.parse(run.stdout) as Report).replicas[0]?.checks.find(
      (check) => check.name === "rehearsal",
    );
    expect(rehearsal?.detail).toMatch(/identity does not open its copy/);
    expect(await node.exec(`ls -la ${NODE_TARGET}`)).toBe(listing);
    await node.exec(`printf '%s' '${original}' | base64 -d > ${identityPath}`);
    expect((await cli(["failover-check", "--inventory", inventory, "--rehearse"])).code).toBe(0);
  });

  it("DR: primary lost → restore on a new state dir (--inventory) → replicate converges (exit 0) → failover-check READY; a reset restore exits 1", async () => {
    const data = join(dir, "data");
    mkdirSync(join(data, "20240611T020000"), { recursive: true });
    symlinkSync("20240611T020000", join(data, "current"));
    const backupKey = execFileSync("age-keygen", { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
    const backupIdentity = join(dir, "backup-identity.txt");
    writeFileSync(backupIdentity, backupKey, { mode: 0o600 });
    const recipient = /public key: (age1\S+)/.exec(backupKey)?.[1] ?? "";
    const included = await cli(["backup", "include", join(data, "current"), "--recipient", recipient]);
    expect(included.code, included.stderr).toBe(0);
    // The primary moves on after the snapshot: the nodes hold newer generations than the snapshot does.
    expect((await cli(["token", "--force"])).code).toBe(0);
    expect((await cli(["replicate", "--inventory", inventory])).code).toBe(0);
    const nodesAt = (
      JSON.parse(readFileSync(join(dir, "state", "vault", "meta.json"), "utf8")) as { generation: number }
    ).generation;

    const fresh = { ...env, CONNECT_OPS_STATE_DIR: join(dir, "new-primary") };
    expect((await cli(["init"], fresh)).code).toBe(0);
    const reset = await cli(
      ["backup", "restore", join(data, "current"), "--identity", backupIdentity, "--hostname", "other.example.com"],
      fresh,
    );
    expect(reset.code).toBe(1);
    expect(reset.stdout).toMatch(/^credentials not restored: .*, reconnect or pass --hostname/m);

    const restored = await cli(
      [
        "--json",
        "backup",
        "restore",
        join(data, "current"),
        "--identity",
        backupIdentity,
        "--hostname",
        HOSTNAME,
        "--inventory",
        inventory,
      ],
      fresh,
    );
    expect(restored.code, restored.stderr).toBe(0);
    const outcome = JSON.parse(restored.stdout) as {
      generation: number;
      generationAbove: number;
      enrolledNodes: string[];
    };
    expect(outcome.generationAbove).toBe(nodesAt);
    expect(outcome.generation).toBeGreaterThan(nodesAt);
    expect(outcome.enrolledNodes).toEqual(["ghes-replica"]);
    const replicated = await cli(["--json", "replicate", "--inventory", inventory], fresh);
    expect(replicated.code, replicated.stdout).toBe(0);
    expect((JSON.parse(replicated.stdout) as { nodes: { status: string }[] }).nodes.map((n) => n.status)).toEqual([
      "updated",
      "updated",
    ]);
    const ready = await cli(["failover-check", "--inventory", inventory, "--rehearse"], fresh);
    expect(ready.code, ready.stdout).toBe(0);
  });

  it("leaks no secret (App key, tokens, the node's identity) in any output or argument", () => {
    expectNoLeak(runPlaces(cliTranscript), secrets);
  });
});
