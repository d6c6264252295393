import { startGitHubSim, type GitHubSim } from "@connect-ops/github-sim";
import { NODE_TARGET, snapshotCli, startSshNodes, testdirSync, writeLicense } from "@connect-ops/test-support";
import { randomInt } from "node:crypto";
import { existsSync, mkdirSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { interruptedCli, STOP_SIGNALS } from "./support/signals.js";
import { pemLine } from "./disconnect-fixture.js";

// Issue 13.3 and 13.5 over a real sshd: a directory the SSH user cannot list is a gap
// with its path (never "empty, clean"), and what verify-cleanup reads from a node is
// scanned in memory: no scratch copy appears in /dev/shm or the temp dir; SIGINT, SIGTERM and
// SIGHUP at random instants of a run reading the node leave no temp anywhere (issue 13, Must show).
let sim: GitHubSim;
let cli: Awaited<ReturnType<typeof snapshotCli>>;
let topology: Awaited<ReturnType<typeof startSshNodes>> | undefined;
const scratch = testdirSync({ prefix: "e2e-verify-ssh-" });
const stateDir = join(scratch.path, "state");
const inventory = join(scratch.path, "inventory.json");
let env: Record<string, string>;
let pem = "";

const nodes: NonNullable<typeof topology>["nodes"][number][] = [];
const run = (...argv: string[]) => cli.run(argv, env);
const scratchCopies = (): string[] =>
  [...(existsSync("/dev/shm") ? readdirSync("/dev/shm") : []), ...readdirSync(tmpdir())].filter((name) =>
    name.startsWith("connect-ops-audit-"),
  );

beforeAll(async () => {
  cli = await snapshotCli();
  sim = await startGitHubSim();
  env = { CONNECT_OPS_STATE_DIR: stateDir, CONNECT_OPS_CLOUD_TOKEN: sim.createAdminToken() };
  topology = await startSshNodes([{ name: "ghes-replica", role: "replica" }]);
  topology.writeInventory(inventory);
  nodes.push(...topology.nodes);
  expect((await run("init")).code).toBe(0);
  const connected = await run(
    "connect",
    "--cloud-url",
    sim.url,
    "--hostname",
    "ghes.example.com",
    "--ghes-version",
    "3.14.2",
    "--license",
    writeLicense(scratch.path),
    "--account",
    "enterprise:acme",
  );
  expect(connected.code, connected.stderr).toBe(0);
  expect((await run("replicate", "--inventory", inventory, "--accept-new-host-keys")).code).toBe(0);
  const { execFileSync } = await import("node:child_process");
  const bundle = JSON.parse(
    execFileSync("age", ["-d", "-i", join(stateDir, "age-identity.txt"), join(stateDir, "vault", "credentials.age")])
      .toString()
      .trim(),
  ) as { app: { privateKeyPem: string } };
  pem = bundle.app.privateKeyPem;
  const disconnected = await run("disconnect", "--inventory", inventory, "--yes");
  expect(disconnected.code, disconnected.stderr).toBe(0);
});

afterAll(async () => {
  await topology?.[Symbol.asyncDispose]();
  await sim.close();
  cli[Symbol.dispose]();
  scratch[Symbol.dispose]();
});

describe("verify-cleanup over SSH: listings that fail are gaps, reads stay in memory", () => {
  it("is clean after the disconnect, and leaves no scratch copy anywhere", async () => {
    const before = scratchCopies();
    const audit = await run("--json", "verify-cleanup", "--inventory", inventory);
    expect(audit.code, audit.stdout).toBe(0);
    expect(scratchCopies()).toEqual(before);
  });

  it("names a directory the SSH user cannot list (chmod 000 by root) as a gap with its path: exit 3", async () => {
    const node = nodes[0];
    if (node === undefined) throw new Error("no node");
    await node.exec(
      `mkdir -p ${NODE_TARGET}/locked && printf '%s\\n' '${pemLine(pem)}' > ${NODE_TARGET}/locked/hidden.txt && chmod 000 ${NODE_TARGET}/locked`,
      "root",
    );
    try {
      const audit = await run("--json", "verify-cleanup", "--inventory", inventory);
      expect(audit.code, audit.stdout).toBe(3);
      const json = JSON.parse(audit.stdout) as {
        verdict: string;
        gaps: { location: string; path?: string; reason: string }[];
      };
      expect(json.verdict).toBe("inconclusive");
      expect(json.gaps).toContainEqual({
        location: "ghes-replica",
        path: `${NODE_TARGET}/locked`,
        reason: "unreadable-directory: the SSH user cannot list or search it",
      });
    } finally {
      await node.exec(`rm -rf ${NODE_TARGET}/locked`, "root");
    }
  });

  it("finds the key inside a gzip'd tar on the node, decoded in memory (layers counted), and writes no copy", async () => {
    const node = nodes[0];
    if (node === undefined) throw new Error("no node");
    await node.exec(
      `mkdir -p /tmp/stage && printf '%s\\n' '${pemLine(pem)}' > /tmp/stage/key.txt && tar -czf ${NODE_TARGET}/old.tar.gz -C /tmp/stage key.txt && rm -rf /tmp/stage`,
    );
    const before = scratchCopies();
    try {
      const audit = await run("--json", "verify-cleanup", "--inventory", inventory);
      expect(audit.code, audit.stdout).toBe(1);
      const json = JSON.parse(audit.stdout) as {
        findings: { location: string; path: string; member?: string }[];
        report: { locations: { kind: string; layersDecoded: Record<string, number> }[] };
      };
      expect(json.findings).toContainEqual(
        expect.objectContaining({ location: "ghes-replica", path: `${NODE_TARGET}/old.tar.gz`, member: "key.txt" }),
      );
      expect(json.report.locations.find((location) => location.kind === "node")?.layersDecoded).toEqual({
        gzip: 1,
        tar: 1,
      });
      expect(scratchCopies()).toEqual(before);
    } finally {
      await node.exec(`rm -f ${NODE_TARGET}/old.tar.gz`);
    }
  });
});

/** Our temp names, anywhere under `dir` of this machine. */
function localTemps(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: "utf8" }).filter((rel) =>
    /(^|\/)(\.connect-ops-|connect-ops-audit-)|\.tmp-[0-9a-f]{12}$|\.[0-9a-f]{12}\.new$/.test(rel),
  );
}

describe("verify-cleanup over SSH: signals", () => {
  it("SIGINT, SIGTERM and SIGHUP at random instants of a run reading the node leave no temp here or on the node", async () => {
    const node = nodes[0];
    if (node === undefined) throw new Error("no node");
    // Enough for the read to take a while, each file under the 1 MiB read bound (a bigger one is a gap):
    // 40 files of 700 kB base64 text, every other one gzip'd, all clean.
    await node.exec(
      `mkdir -p ${NODE_TARGET}/filler && for i in $(seq 40); do head -c 520000 /dev/urandom | base64 > ${NODE_TARGET}/filler/f$i.txt; [ $((i % 2)) = 0 ] && gzip -1 ${NODE_TARGET}/filler/f$i.txt; done; true`,
    );
    try {
      const argv = ["verify-cleanup", "--inventory", inventory];
      const started = performance.now();
      const whole = await run(...argv);
      expect(whole.code, whole.stdout + whole.stderr).toBe(0);
      const span = Math.max(100, Math.round(performance.now() - started));
      const ended: string[] = [];
      for (let round = 0; round < 6; round += 1) {
        const [signal, exitCode] = STOP_SIGNALS[round % STOP_SIGNALS.length] ?? STOP_SIGNALS[0];
        const tmp = join(scratch.path, "tmp", `signal-${round}`);
        mkdirSync(tmp, { recursive: true });
        // The first half of the rounds falls after start-up, when the node is being read.
        const delay = round < 3 ? Math.round(span * (0.5 + Math.random() * 0.4)) : randomInt(0, span);
        const result = await interruptedCli(cli.bin, argv, env, tmp, signal, delay);
        ended.push(result.signal ?? String(result.code));
        expect([exitCode, 0].includes(result.code ?? -1) || result.signal === signal, JSON.stringify(result)).toBe(
          true,
        );
        expect(readdirSync(tmp), `${signal} round ${round}`).toEqual([]);
        expect(localTemps(stateDir), `${signal} round ${round}`).toEqual([]);
        expect(scratchCopies(), `${signal} round ${round}`).toEqual([]);
        const onNode = await node.exec(
          `find ${NODE_TARGET} /tmp /dev/shm /home/admin -xdev \\( -name '.connect-ops-*' -o -name 'connect-ops-*' -o -name '*.tmp-????????????' \\) -print 2>/dev/null; true`,
        );
        expect(onNode.trim(), `${signal} round ${round}: on the node`).toBe("");
      }
      expect(
        ended.some((end) => ["130", "143", "129"].includes(end)),
        ended.join(","),
      ).toBe(true);
    } finally {
      await node.exec(`rm -rf ${NODE_TARGET}/filler`);
    }
  });
});
