import { startGitHubSim, type GitHubSim } from "@connect-ops/github-sim";
import { probeNodes, type NodeSpec } from "@connect-ops/replication";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  cliTranscript,
  connectArgv,
  hostKeyFingerprints,
  NODE_TARGET,
  openSealedVault,
  parseJsonOutput,
  snapshotCli,
  startSshNodes,
  SuiteResources,
  testdirSync,
  writeLicense,
} from "@connect-ops/test-support";
import { replicateJson, vaultMetaJson } from "./support/cli-json.js";
import { expectNoLeak, runPlaces } from "./support/leaks.js";

// The built CLI replicating over real SSH to one HA replica and three cluster
// nodes, each its own sshd container. Tests run in order, like a runbook.
const suite = new SuiteResources();
let sim: GitHubSim;
let topology: Awaited<ReturnType<typeof startSshNodes>>;
const scratch = testdirSync({ prefix: "e2e-replicate-ssh-" });
const dir = scratch.path;
const inventory = join(dir, "inventory.json");
let env: Record<string, string>;
let snapshot: Awaited<ReturnType<typeof snapshotCli>>;
let specs: NodeSpec[];
/** How long a whole serial (`--concurrency 1`) `replicate` process takes here, to aim kills inside the fan-out. */
let serialRunMs = 1000;
const secrets: Record<string, string> = {};

const cli = (...argv: string[]) => snapshot.run(argv, env);
const sha256 = (bytes: Buffer) => createHash("sha256").update(bytes).digest("hex");
const vaultFile = (name: string) => readFileSync(join(dir, "state", "vault", name));
const statuses = (stdout: string) => parseJsonOutput(replicateJson, stdout).nodes.map((node) => node.status);
const vaultGeneration = () => parseJsonOutput(vaultMetaJson, vaultFile("meta.json").toString("utf8")).generation;
const sshOptions = () => topology.ssh;

function rememberSecrets(): void {
  const bundle = openSealedVault(join(dir, "state"));
  secrets["App private key"] = bundle.app.privateKeyPem;
  secrets[`token ${Object.keys(secrets).length}`] = bundle.token.value;
}

/** Starts `replicate` and SIGKILLs it once `trigger` fires; resolves with how it ended. */
type KillTrigger = ({ afterMs: number } | { afterNodeDone: number }) & { concurrency: number };
function replicateKilled(trigger: KillTrigger): Promise<{ signal: string | null; code: number | null }> {
  const argv = [
    "--log-level",
    "info",
    "replicate",
    "--inventory",
    inventory,
    "--concurrency",
    String(trigger.concurrency),
  ];
  return snapshot.run(argv, env, {
    ...("afterMs" in trigger ? { killAfterMs: trigger.afterMs } : {}),
    // pino logs one line per node as it finishes: kill mid fan-out, after the n-th.
    ...("afterNodeDone" in trigger
      ? { killWhen: ({ stderr }) => (stderr.match(/"msg":"node replicated"/g) ?? []).length >= trigger.afterNodeDone }
      : {}),
  });
}

beforeAll(async () => {
  snapshot = suite.hold(await snapshotCli());
  sim = suite.hold(await startGitHubSim());
  env = { CONNECT_OPS_STATE_DIR: join(dir, "state"), CONNECT_OPS_CLOUD_TOKEN: sim.createAdminToken() };
  topology = suite.hold(
    await startSshNodes([
      { name: "ghes-replica", role: "replica" },
      { name: "ghes-data-1", role: "cluster" },
      { name: "ghes-data-2", role: "cluster" },
      { name: "ghes-data-3", role: "cluster" },
    ]),
  );
  specs = topology.specs;
  topology.writeInventory(inventory);
  const license = writeLicense(dir);
  expect((await cli("init")).code).toBe(0);
  const connected = await cli(...connectArgv({ license }, sim.url));
  expect(connected.code).toBe(0);
  rememberSecrets();
}, 600_000);

afterAll(async () => {
  await suite[Symbol.asyncDispose]();
  scratch[Symbol.dispose]();
}, 120_000);

describe("replicate over real SSH (built CLI, 1 replica + 3 cluster nodes)", () => {
  it("refuses unknown host keys with exit 2, printing each SHA256 fingerprint and how to trust it; sends nothing", async () => {
    const run = await cli("--json", "replicate", "--inventory", inventory);
    expect(run.code).toBe(2);
    const report = JSON.parse(run.stdout) as {
      nodes: { name: string; status: string; error: { code: string; message: string; hint: string } }[];
    };
    for (const [index, node] of topology.nodes.entries()) {
      const row = report.nodes[index];
      expect(row).toMatchObject({ name: node.name, status: "failed", error: { code: "REPL_HOST_KEY_UNKNOWN" } });
      const fingerprint = /SHA256:[A-Za-z0-9+/]+/.exec(row?.error.message ?? "")?.[0];
      expect(await hostKeyFingerprints(node.port)).toContain(fingerprint);
      expect(row?.error.hint).toContain(`ssh-keyscan -p ${node.port} 127.0.0.1 >> ${topology.knownHostsFile}`);
      expect(row?.error.hint).toContain("--accept-new-host-keys");
      expect(await node.exec(`ls -A ${NODE_TARGET} 2>/dev/null || true`)).toBe("");
    }
    const human = await cli("replicate", "--inventory", inventory);
    expect(human.code).toBe(2);
    expect(human.stdout).toMatch(/ghes-replica: error\[REPL_HOST_KEY_UNKNOWN\]: .*SHA256:/);
    expect(human.stdout).toMatch(
      /^Refused: ghes-replica, ghes-data-1, ghes-data-2, ghes-data-3 did not pass the host key or login check/m,
    );
    expect(readFileSync(topology.knownHostsFile, "utf8")).toBe("");
  });

  it("--accept-new-host-keys records the keys and converges every node; a re-run is unchanged", async () => {
    const run = await cli("--json", "replicate", "--inventory", inventory, "--accept-new-host-keys");
    expect(run.code).toBe(0);
    expect(statuses(run.stdout)).toEqual(["updated", "updated", "updated", "updated"]);
    const known = readFileSync(topology.knownHostsFile, "utf8");
    for (const node of topology.nodes) expect(known).toContain(`[127.0.0.1]:${node.port} `);
    for (const node of topology.nodes) {
      const sums = await node.exec(`cd ${NODE_TARGET} && sha256sum credentials.age meta.json`);
      expect(sums).toContain(`${sha256(vaultFile("credentials.age"))}  credentials.age`);
      expect(sums).toContain(`${sha256(vaultFile("meta.json"))}  meta.json`);
    }
    const started = Date.now();
    const again = await cli("--json", "replicate", "--inventory", inventory, "--concurrency", "1");
    serialRunMs = Date.now() - started;
    expect(again.code).toBe(0);
    expect(statuses(again.stdout)).toEqual(["unchanged", "unchanged", "unchanged", "unchanged"]);
    expect((await cli("node", "enroll", "--inventory", inventory, "--node", "ghes-replica")).code).toBe(0);
    expect((await cli("replicate", "--inventory", inventory)).code).toBe(0);
    rememberSecrets();
    expect((await cli("failover-check", "--inventory", inventory)).code).toBe(0);
    expect((await cli("status", "--offline", "--inventory", inventory)).code).toBe(0);
  });

  it("SIGKILLed mid fan-out five times: every node holds the old or the new complete pair; the re-run converges", async () => {
    // Serial runs killed right after the n-th node finished land while node n+1
    // is being pushed; timed kills land wherever the nodes are, one in a parallel run.
    const triggers: KillTrigger[] = [
      { afterNodeDone: 1, concurrency: 1 },
      { afterMs: Math.round(serialRunMs * 0.6), concurrency: 1 },
      { afterNodeDone: 2, concurrency: 1 },
      { afterMs: Math.round(serialRunMs * 0.5), concurrency: 4 },
      { afterNodeDone: 3, concurrency: 1 },
    ];
    // Every complete pair the primary ever held, by its two hashes: a node may hold any of them, nothing else.
    const pairs = new Set<string>();
    const rememberPair = () => pairs.add(`${sha256(vaultFile("credentials.age"))}/${sha256(vaultFile("meta.json"))}`);
    rememberPair();
    const outcomes: string[] = [];
    for (const trigger of triggers) {
      const minted = await cli("token", "--force");
      expect(minted.code, minted.stderr).toBe(0);
      rememberSecrets();
      rememberPair();
      const current = vaultGeneration();
      const ended = await replicateKilled(trigger);
      const probes = await probeNodes(specs, { ssh: sshOptions() });
      for (const probe of probes) {
        expect(probe, `${probe.name} after kill ${JSON.stringify(trigger)}`).toMatchObject({
          status: "ok",
          consistent: true,
        });
        expect(
          pairs.has(`${probe.sealedSha256}/${probe.metaSha256}`),
          `${probe.name} holds a pair the primary never had`,
        ).toBe(true);
        expect(probe.generation).toBeLessThanOrEqual(current);
      }
      const updated = probes.filter((probe) => probe.generation === current).length;
      const temps = probes.reduce((sum, probe) => sum + probe.tempFiles, 0);
      outcomes.push(
        `${JSON.stringify(trigger)} ${ended.signal ?? `exit ${ended.code}`}: ${updated}/4 nodes at the new generation, ${temps} temp files`,
      );
    }
    // eslint-disable-next-line no-console -- what the kills hit, for the reader of the log
    console.info(`kills (a whole serial run takes ${serialRunMs} ms):\n${outcomes.join("\n")}`);
    // A timed kill may come after the run finished (exit 0); most must land before it, some mid fan-out.
    for (const outcome of outcomes) expect(outcome).toMatch(/ (SIGKILL|exit 0): /);
    expect(outcomes.filter((outcome) => outcome.includes("SIGKILL")).length).toBeGreaterThanOrEqual(3);
    expect(outcomes.filter((outcome) => /SIGKILL: [1-3]\/4/.test(outcome)).length).toBeGreaterThanOrEqual(2);

    const rerun = await cli("--json", "replicate", "--inventory", inventory);
    expect(rerun.code, rerun.stderr).toBe(0);
    for (const status of statuses(rerun.stdout)) expect(["updated", "unchanged"]).toContain(status);
    const expected = {
      generation: vaultGeneration(),
      sealedSha256: sha256(vaultFile("credentials.age")),
      metaSha256: sha256(vaultFile("meta.json")),
    };
    const final = await probeNodes(specs, { ssh: sshOptions(), expected });
    expect(final.map((probe) => probe.drift)).toEqual(["in-sync", "in-sync", "in-sync", "in-sync"]);
    // eslint-disable-next-line no-console -- what the kills hit, for the reader of the log
    console.info(`temp files after the re-run: ${final.map((probe) => `${probe.name}=${probe.tempFiles}`).join(" ")}`);
    const again = await cli("--json", "replicate", "--inventory", inventory);
    expect(again.code, again.stderr).toBe(0);
    expect(statuses(again.stdout)).toEqual(["unchanged", "unchanged", "unchanged", "unchanged"]);
  });

  it("never prints a secret or leaves one in a node's meta.json", async () => {
    const places: Record<string, string> = {};
    Object.assign(places, runPlaces(cliTranscript));
    for (const node of topology.nodes)
      places[`${node.name} meta.json`] = await node.exec(`cat ${NODE_TARGET}/meta.json`);
    expectNoLeak(places, secrets);
  });
});
