import { startGitHubSim, type GitHubSim } from "@connect-ops/github-sim";
import { probeNodes, type NodeSpec } from "@connect-ops/replication";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { registerSecret } from "../support/canary.js";
import {
  CLI_BIN,
  cliTranscript,
  connectArgv,
  NODE_TARGET,
  type NodeContainer,
  startSshNodes,
  SuiteResources,
  testdirSync,
  writeLicense,
} from "@connect-ops/test-support";
import { expectNoLeak, runPlaces } from "../support/leaks.js";
import { recordReliability, reliabilitySeed, seededRandom } from "../support/reliability-table.js";
import { openedGeneration, runCli, type KilledRun } from "../crash/harness.js";

// Load and scale (issue 8, part 5): the built CLI replicating over real SSH to
// 30 sshd containers (1 HA replica + 29 cluster nodes), ten times in a row,
// each run with 1–3 seeded-random nodes frozen (`docker pause`) for a bounded
// time early in the run. The pauses stay well under the CLI's 10 s connect and
// 30 s operation timeouts, so every run must still converge every node with
// no retry by the operator and no temp file left behind. Tests run in order.

const seed = reliabilitySeed();
const random = seededRandom(seed);
const NODE_COUNT = 30;
const ROUNDS = 10;
const START_CONCURRENCY = 6;
/** Pauses start within the run's first second and last 0.5–4 s each. */
const PAUSE_WINDOW_MS = 1000;
const PAUSE_MIN_MS = 500;
const PAUSE_MAX_MS = 4000;
/** Hang guard only (no timing assertion): a run may take at most its longest pause's end plus this. */
const HANG_SLACK_MS = 20_000;

const suite = new SuiteResources();
let sim: GitHubSim;
let topology: Awaited<ReturnType<typeof startSshNodes>>;
let specs: NodeSpec[];
let env: Record<string, string>;
const scratch = testdirSync({ prefix: "e2e-replicate-30-" });
const dir = scratch.path;
const stateDir = join(dir, "state");
const inventory = join(dir, "inventory.json");
const secrets: Record<string, string> = {};
const tally = {
  rounds: 0,
  failures: 0,
  notes: [] as string[],
  runMs: [] as number[],
  pauses: 0,
  pauseRetries: 0,
  pausedNodes: new Set<string>(),
  stretched: 0,
  startMs: 0,
};

const sha256 = (bytes: Buffer) => createHash("sha256").update(bytes).digest("hex");
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const sshOptions = () => topology.ssh;
const cli = (...argv: string[]) => runCli(CLI_BIN, argv, env);
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

interface ReplicateJson {
  readonly generation: number;
  readonly nodes: readonly {
    name: string;
    status: string;
    generationAfter: number | null;
    durationMs: number;
    error?: { code: string; message: string };
  }[];
}

/** The primary's generation; registers the secrets it now holds with the canary. */
async function primaryGeneration(): Promise<number> {
  const opened = await openedGeneration(stateDir);
  if (opened.pem !== undefined) {
    secrets["App private key"] = opened.pem;
    registerSecret("App private key", opened.pem);
  }
  if (opened.token !== undefined) {
    secrets[`token of generation ${opened.generation}`] = opened.token;
    registerSecret("installation token", opened.token);
  }
  expect(opened.generation).not.toBeNull();
  return opened.generation as number;
}

/** Every node updated to `generation` in the report, consistent there per probe, and holding only the pair. */
async function expectConverged(run: KilledRun, generation: number, label: string): Promise<ReplicateJson> {
  expect(run.code, `${label}: exit code; stderr:\n${run.stderr}\nstdout:\n${run.stdout.slice(0, 4000)}`).toBe(0);
  const report = JSON.parse(run.stdout) as ReplicateJson;
  expect(report.generation, `${label}: report generation`).toBe(generation);
  expect(report.nodes.map((node) => node.name)).toEqual(topology.nodes.map((node) => node.name));
  for (const row of report.nodes)
    expect({ name: row.name, status: row.status, generationAfter: row.generationAfter }, label).toEqual({
      name: row.name,
      status: "updated",
      generationAfter: generation,
    });
  const sealed = readFileSync(join(stateDir, "vault", "credentials.age"));
  const meta = readFileSync(join(stateDir, "vault", "meta.json"));
  const probes = await probeNodes(specs, {
    ssh: sshOptions(),
    expected: { generation, sealedSha256: sha256(sealed), metaSha256: sha256(meta) },
  });
  for (const probe of probes) {
    expect(
      {
        name: probe.name,
        status: probe.status,
        consistent: probe.consistent,
        generation: probe.generation,
        drift: probe.drift,
        tempFiles: probe.tempFiles,
      },
      label,
    ).toEqual({
      name: probe.name,
      status: "ok",
      consistent: true,
      generation,
      drift: "in-sync",
      tempFiles: 0,
    });
  }
  // The probe counts only our own temp pattern; `ls -A` sees anything else a push could leave.
  const listings = await Promise.all(
    topology.nodes.map(
      async (node) =>
        [
          node.name,
          (await node.exec(`ls -A ${NODE_TARGET}`))
            .split("\n")
            .filter((name) => name !== "")
            .sort(),
        ] as const,
    ),
  );
  for (const [name, files] of listings)
    expect({ name, files }, label).toEqual({ name, files: ["credentials.age", "meta.json"] });
  return report;
}

interface Pause {
  readonly node: NodeContainer;
  readonly atMs: number;
  readonly forMs: number;
}

/** 1–3 distinct nodes, each paused at a seeded instant in the first second for a seeded 0.5–4 s. */
function planPauses(): Pause[] {
  const count = 1 + Math.floor(random() * 3);
  const pool = [...topology.nodes];
  const plan: Pause[] = [];
  for (let index = 0; index < count; index++) {
    const [node] = pool.splice(Math.floor(random() * pool.length), 1) as [NodeContainer];
    plan.push({
      node,
      atMs: Math.floor(random() * PAUSE_WINDOW_MS),
      forMs: PAUSE_MIN_MS + Math.floor(random() * (PAUSE_MAX_MS - PAUSE_MIN_MS)),
    });
  }
  return plan;
}

/** Runs `replicate` with the planned pauses; every paused node is unpaused before this returns or throws. */
async function replicateWithPauses(plan: readonly Pause[]): Promise<KilledRun> {
  const paused = new Set<NodeContainer>();
  const freeze = async ({ node, atMs, forMs }: Pause) => {
    await sleep(atMs);
    tally.pauseRetries += (await node.pause()) - 1;
    paused.add(node);
    try {
      await sleep(forMs);
    } finally {
      await node.unpause();
      paused.delete(node);
    }
  };
  const run = cli("--json", "replicate", "--inventory", inventory);
  const freezes = plan.map(freeze);
  try {
    const [ended, frozen] = await Promise.all([run, Promise.allSettled(freezes)]);
    const failed = frozen.find((result) => result.status === "rejected");
    if (failed !== undefined) throw new Error(`docker pause/unpause failed: ${String(failed.reason)}`);
    return ended;
  } finally {
    await Promise.allSettled(freezes);
    for (const node of paused) await node.unpause().catch(() => undefined);
  }
}

/** Counts a failed round for the reliability table before rethrowing. */
async function counted(label: string, body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (error) {
    tally.failures++;
    tally.notes.push(`${label} (seed ${seed}): ${(error as Error).message.split("\n")[0]}`);
    throw error;
  }
}

const median = (values: readonly number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
};

beforeAll(async () => {
  // eslint-disable-next-line no-console -- the seed is printed so a failing run can be replayed (issue 8)
  console.log(`replicate to ${NODE_COUNT} nodes: seed ${seed} — replay with RELIABILITY_SEED=${seed}`);
  sim = suite.hold(await startGitHubSim());
  env = { CONNECT_OPS_STATE_DIR: stateDir, CONNECT_OPS_CLOUD_TOKEN: sim.createAdminToken() };
  const started = performance.now();
  topology = suite.hold(
    await startSshNodes(
      Array.from({ length: NODE_COUNT }, (_, index) =>
        index === 0
          ? { name: "ghes-replica", role: "replica" as const }
          : { name: `ghes-data-${index}`, role: "cluster" as const },
      ),
      START_CONCURRENCY,
    ),
  );
  tally.startMs = performance.now() - started;
  // eslint-disable-next-line no-console -- a figure for the reliability notes
  console.log(`started ${NODE_COUNT} sshd containers (${START_CONCURRENCY} at a time) in ${seconds(tally.startMs)}`);
  specs = topology.specs;
  topology.writeInventory(inventory);
  const license = writeLicense(dir);
  const initialised = await cli("init");
  expect(initialised.code, initialised.stderr).toBe(0);
  const connected = await cli(...connectArgv({ license }, sim.url));
  expect(connected.code, connected.stderr).toBe(0);
}, 600_000);

afterAll(async () => {
  if (tally.rounds > 0) {
    recordReliability({
      area: "load",
      subject: `\`replicate\` to ${NODE_COUNT} sshd containers ×${ROUNDS}, random node pauses`,
      cases: tally.rounds,
      failures: tally.failures,
      invariants: [
        "every run exits 0",
        `all ${NODE_COUNT} nodes updated to the primary's new generation`,
        "probe: every node consistent and in sync",
        "no temp file on any node",
        "every node's credentials.age byte-identical to the primary's",
      ],
      note: [
        `${tally.pauses} pauses on ${tally.pausedNodes.size} distinct nodes (${PAUSE_MIN_MS / 1000}–${PAUSE_MAX_MS / 1000} s each, within the first ${PAUSE_WINDOW_MS / 1000} s), ${tally.stretched} visibly stretched a push`,
        tally.runMs.length === 0
          ? "no run finished"
          : `run median ${seconds(median(tally.runMs))}, max ${seconds(Math.max(...tally.runMs))}`,
        `${NODE_COUNT} containers started in ${seconds(tally.startMs)}`,
        `seed ${seed}`,
        ...tally.notes,
      ].join("; "),
    });
  }
  await suite[Symbol.asyncDispose]();
  scratch[Symbol.dispose]();
}, 300_000);

describe(`replicate to ${NODE_COUNT} sshd containers, ${ROUNDS} rounds with random node pauses (built CLI)`, () => {
  it(`--accept-new-host-keys: the first run updates all ${NODE_COUNT} nodes`, async () => {
    const generation = await primaryGeneration();
    const run = await cli("--json", "replicate", "--inventory", inventory, "--accept-new-host-keys");
    await expectConverged(run, generation, "first run");
    // eslint-disable-next-line no-console -- a figure for the reliability notes
    console.log(`first run (no pause, host keys recorded): ${seconds(run.durationMs)}`);
  }, 300_000);

  it(`${ROUNDS} rounds of token --force + replicate with 1–3 nodes paused 0.5–4 s: every node converges, no temp file`, async () => {
    for (let round = 1; round <= ROUNDS; round++) {
      const plan = planPauses();
      const planText = plan.map((pause) => `${pause.node.name}@${pause.atMs}ms/${pause.forMs}ms`).join(", ");
      tally.rounds++;
      await counted(`round ${round} [${planText}]`, async () => {
        const minted = await cli("token", "--force");
        expect(minted.code, minted.stderr).toBe(0);
        const generation = await primaryGeneration();
        tally.pauses += plan.length;
        for (const pause of plan) tally.pausedNodes.add(pause.node.name);
        const run = await replicateWithPauses(plan);
        tally.runMs.push(run.durationMs);
        const report = await expectConverged(run, generation, `round ${round} (seed ${seed}) [${planText}]`);
        const stretched = plan.filter(
          (pause) => (report.nodes.find((row) => row.name === pause.node.name)?.durationMs ?? 0) >= pause.forMs,
        ).length;
        tally.stretched += stretched;
        const nodeMs = plan
          .map(
            (pause) =>
              `${pause.node.name} ${report.nodes.find((row) => row.name === pause.node.name)?.durationMs ?? "?"}ms`,
          )
          .join(", ");
        // eslint-disable-next-line no-console -- per round, so a failing round's predecessors are on record
        console.log(
          `round ${round}: generation ${generation}, run ${seconds(run.durationMs)}; paused ${planText}; their pushes took ${nodeMs}`,
        );
        // A hang guard, not a timing assertion: the run must end once the pauses are over.
        const pausesEnd = Math.max(...plan.map((pause) => pause.atMs + pause.forMs));
        expect(
          run.durationMs,
          `round ${round}: the run did not end within ${pausesEnd + HANG_SLACK_MS} ms`,
        ).toBeLessThan(pausesEnd + HANG_SLACK_MS);
      });
    }
    // eslint-disable-next-line no-console -- the figures behind the reliability note
    console.log(
      `seed ${seed}: ${tally.pauses} pauses on ${tally.pausedNodes.size} distinct nodes, ${tally.stretched} stretched a push, ${tally.pauseRetries} docker pause retries; run median ${seconds(median(tally.runMs))}, max ${seconds(Math.max(...tally.runMs))}`,
    );
  }, 300_000);

  it("every node's credentials.age is byte-identical to the primary's", async () => {
    await counted("final byte comparison", async () => {
      const expected = sha256(readFileSync(join(stateDir, "vault", "credentials.age")));
      const sums = await Promise.all(
        topology.nodes.map(
          async (node) =>
            [node.name, (await node.exec(`sha256sum ${NODE_TARGET}/credentials.age`)).split(/\s+/)[0]] as const,
        ),
      );
      for (const [name, sum] of sums) expect({ name, sum }).toEqual({ name, sum: expected });
    });
  }, 300_000);

  it("never prints a secret or leaves one in a node's meta.json", async () => {
    expect(Object.keys(secrets).length).toBeGreaterThanOrEqual(2);
    const places: Record<string, string> = {};
    Object.assign(places, runPlaces(cliTranscript));
    for (const node of topology.nodes)
      places[`${node.name} meta.json`] = await node.exec(`cat ${NODE_TARGET}/meta.json`);
    expectNoLeak(places, secrets);
  }, 300_000);
});
