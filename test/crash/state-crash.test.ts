import { startGitHubSim, type GitHubSim } from "@connect-ops/github-sim";
import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkForLeaks, registerSecret } from "../support/canary.js";
import { reliabilitySeed, seededRandom } from "../support/reliability-table.js";
import {
  APPLIANCE_NODES,
  applianceAt,
  connectArgv,
  copyTree,
  DISCONNECT_CRASH_POINTS,
  initialisedAppliance,
  OLDER_SNAPSHOT,
  parseJsonOutput,
  snapshotCli,
  SuiteResources,
  testdirSync,
} from "@connect-ops/test-support";
import { journalJson, tokenJson } from "../support/cli-json.js";
import { connectedTemplate } from "./fixtures.js";
import { CrashTally, crashIterations, openedGeneration, runCli, runLanes, simIdle, tempFilesUnder } from "./harness.js";

// SIGKILL at each named checkpoint and at random instants during connect,
// token and disconnect (issue 8, part 1). Each lane owns a simulator, so its
// counters say exactly which cloud effects an iteration caused. A connect
// iteration ends with a connected appliance; the disconnect test takes those
// survivors (from the same lane, so the same simulator) instead of connecting
// afresh, which halves what a disconnect iteration costs.

const seed = reliabilitySeed();
const LANES = 3;
const CONNECT_POINTS = ["record-registered", "app-created", "key-sealed", "token-sealed"];
const suite = new SuiteResources();
let cli: Awaited<ReturnType<typeof snapshotCli>>;
const sims: GitHubSim[] = [];
const scratch = testdirSync({ prefix: "reliability-crash-state-" });
const unconnected: string[] = [];
const connected: string[] = [];
/** Per lane: appliance dirs a connect iteration left connected and checked, for the disconnect test. */
const survivors: string[][] = [];

/** An initialised appliance (state dir, license, inventory of local nodes, a data dir of one snapshot) that has not connected yet. */
async function initialisedTemplate(dir: string, sim: GitHubSim): Promise<void> {
  await initialisedAppliance({
    cloud: sim,
    dir,
    snapshots: [OLDER_SNAPSHOT],
    connectOps: (argv, env) => runCli(cli.bin, argv, env ?? {}),
  });
}

beforeAll(async () => {
  // eslint-disable-next-line no-console -- the seed is printed so a failing run can be replayed (issue 8)
  console.log(`crash harness (state): seed ${seed} — replay with RELIABILITY_SEED=${seed}`);
  cli = suite.hold(await snapshotCli({ testHooks: true }));
  for (let lane = 0; lane < LANES; lane++) {
    const sim = suite.hold(await startGitHubSim());
    sims.push(sim);
    unconnected.push(join(scratch.path, `template-init-${lane}`));
    await initialisedTemplate(unconnected[lane] as string, sim);
    survivors.push([]);
    connected.push(join(scratch.path, `template-connected-${lane}`));
    await connectedTemplate(cli.bin, sim, connected[lane] as string);
  }
}, 300_000);

afterAll(async () => {
  await suite[Symbol.asyncDispose]();
  scratch[Symbol.dispose]();
});

const connectArgs = (at: ReturnType<typeof applianceAt>, sim: GitHubSim) => ["--json", ...connectArgv(at, sim.url)];

/** Secrets the vault holds now, for the canary (the sim cannot be told which key to issue). */
async function registerVaultSecrets(stateDir: string): Promise<void> {
  const opened: Awaited<ReturnType<typeof openedGeneration>> = await openedGeneration(stateDir).catch(() => ({
    generation: null,
  }));
  if (opened.pem !== undefined) registerSecret("crash private key", opened.pem);
  if (opened.token !== undefined) registerSecret("crash token", opened.token);
}

/** A measured plain run (no kill) of `argv` on a fresh copy of `template`, in ms. */
async function spanOf(
  template: string,
  argv: (at: ReturnType<typeof applianceAt>, sim: GitHubSim) => string[],
  sim: GitHubSim,
): Promise<number> {
  const at = applianceAt(join(scratch.path, `warm-up-${Math.floor(Math.random() * 1e9)}`), sim.createAdminToken());
  copyTree(template, at.dir);
  const run = await runCli(cli.bin, argv(at, sim), at.env);
  expect(run.code, run.stderr).toBe(0);
  await registerVaultSecrets(at.stateDir);
  return run.durationMs * 1.2;
}

describe("crash harness: connect, token, disconnect", () => {
  it("connect killed at each checkpoint and at random instants: the re-run finishes with exactly one app and record", async () => {
    const iterations = crashIterations(200);
    const random = seededRandom(seed ^ 0xc0ec);
    const span = await spanOf(unconnected[0] as string, connectArgs, sims[0] as GitHubSim);
    const tally = new CrashTally();
    try {
      await runLanes(iterations, LANES, async (iteration, lane) => {
        const sim = sims[lane] as GitHubSim;
        const at = applianceAt(join(scratch.path, `connect-${iteration}`), sim.createAdminToken());
        copyTree(unconnected[lane] as string, at.dir);
        const before = sim.counters();
        const point =
          iteration < CONNECT_POINTS.length * 2 ? CONNECT_POINTS[iteration % CONNECT_POINTS.length] : undefined;
        const kill = await runCli(
          cli.bin,
          connectArgs(at, sim),
          { ...at.env, ...(point === undefined ? {} : { CONNECT_OPS_FAULT_CRASH_AT: point }) },
          point === undefined ? random() * span : undefined,
        );
        await tally.check(iteration, seed, kill, async () => {
          await openedGeneration(at.stateDir); // opens (or is empty): never a torn vault
          // The operator re-runs after the cloud finished what the killed run had in flight. A re-run
          // racing an in-flight manifest conversion fails with CLOUD_NOT_FOUND (reported in docs/reliability.md).
          await simIdle(sim);
          const rerun = await runCli(cli.bin, connectArgs(at, sim), at.env);
          expect(rerun.code, rerun.stderr).toBe(0);
          const after = await openedGeneration(at.stateDir);
          expect(after.token).toMatch(/^ghs_/);
          await registerVaultSecrets(at.stateDir);
          const now = sim.counters();
          expect(now.apps - before.apps, "live apps added").toBe(1);
          // Registration is idempotent until the app exists, so a kill at any instant leaves no orphan record.
          expect(now.records - before.records, "live records added").toBe(1);
          const journal = parseJsonOutput(
            journalJson,
            readFileSync(join(at.stateDir, "journal", "connect.json"), "utf8"),
          );
          expect(journal.completedAt).toBeTypeOf("string");
          expect(tempFilesUnder(at.dir)).toEqual([]);
          checkForLeaks([at.dir]);
        });
        (survivors[lane] as string[]).push(at.dir);
      });
    } finally {
      tally.record(
        "connect",
        [
          "vault opens or is empty",
          "journal completes on re-run",
          "exactly one live app and record per appliance",
          "no temp file left",
        ],
        seed,
      );
    }
  }, 1_800_000);

  it("token --force killed at token-minted and at random instants: old or new generation, at most one mint, re-run fresh", async () => {
    const iterations = crashIterations(200);
    const random = seededRandom(seed ^ 0x70c3);
    const tokenArgs = () => ["--json", "token", "--force"];
    const span = await spanOf(connected[0] as string, tokenArgs, sims[0] as GitHubSim);
    const tally = new CrashTally();
    try {
      await runLanes(iterations, LANES, async (iteration, lane) => {
        const sim = sims[lane] as GitHubSim;
        const at = applianceAt(join(scratch.path, `token-${iteration}`), sim.createAdminToken());
        copyTree(connected[lane] as string, at.dir);
        const generation = (await openedGeneration(at.stateDir)).generation as number;
        const mintsBefore = sim.counters().tokenMints;
        const injected = iteration < 4;
        const kill = await runCli(
          cli.bin,
          tokenArgs(),
          { ...at.env, ...(injected ? { CONNECT_OPS_FAULT_CRASH_AT: "token-minted" } : {}) },
          injected ? undefined : random() * span,
        );
        await tally.check(iteration, seed, kill, async () => {
          const afterKill = await openedGeneration(at.stateDir);
          expect([generation, generation + 1]).toContain(afterKill.generation);
          expect(sim.counters().tokenMints - mintsBefore).toBeLessThanOrEqual(1);
          const rerun = await runCli(cli.bin, ["--json", "token"], at.env);
          expect(rerun.code, rerun.stderr).toBe(0);
          expect(parseJsonOutput(tokenJson, rerun.stdout).minted).toBe(false); // the sealed token is fresh either way: no second mint
          expect(sim.counters().tokenMints - mintsBefore).toBeLessThanOrEqual(1);
          expect([generation, generation + 1]).toContain((await openedGeneration(at.stateDir)).generation);
          await registerVaultSecrets(at.stateDir);
          // A locked command (replicate reads under the vault lock) finishes or rolls back an interrupted commit.
          const replicated = await runCli(cli.bin, ["replicate", "--inventory", at.inventory], at.env);
          expect(replicated.code, replicated.stderr).toBe(0);
          expect(tempFilesUnder(at.dir)).toEqual([]);
          checkForLeaks([at.dir]);
        });
        rmSync(at.dir, { recursive: true, force: true });
      });
    } finally {
      tally.record(
        "token --force",
        [
          "vault opens at old or new generation",
          "at most one mint per run",
          "re-run uses the sealed token",
          "no temp file left after a locked run",
        ],
        seed,
      );
    }
  }, 1_800_000);

  it("disconnect killed at each journal step and at random instants: the re-run completes, each cloud effect happens once", async () => {
    const iterations = crashIterations(200);
    const random = seededRandom(seed ^ 0xd15c);
    const disconnectArgs = (at: ReturnType<typeof applianceAt>) => [
      "--json",
      "disconnect",
      "--inventory",
      at.inventory,
      "--data-dir",
      at.dataDir,
      "--yes",
    ];
    let span = 0;
    const tally = new CrashTally();
    try {
      await runLanes(iterations, LANES, async (iteration, lane) => {
        const sim = sims[lane] as GitHubSim;
        const survivor = survivors[lane]?.pop();
        const at = applianceAt(survivor ?? join(scratch.path, `disconnect-${iteration}`), sim.createAdminToken());
        if (survivor === undefined) {
          copyTree(unconnected[lane] as string, at.dir);
          expect((await runCli(cli.bin, connectArgs(at, sim), at.env)).code).toBe(0);
          await registerVaultSecrets(at.stateDir);
        }
        expect((await runCli(cli.bin, ["replicate", "--inventory", at.inventory], at.env)).code).toBe(0);
        const before = sim.counters();
        const point = iteration < DISCONNECT_CRASH_POINTS.length ? DISCONNECT_CRASH_POINTS[iteration] : undefined;
        // The checkpoint kills come first; the latest of them measures how long a whole run takes.
        const delay = point === undefined ? random() * Math.max(span, 1000) : undefined;
        const kill = await runCli(
          cli.bin,
          disconnectArgs(at),
          { ...at.env, ...(point === undefined ? {} : { CONNECT_OPS_FAULT_CRASH_AT: point }) },
          delay,
        );
        if (point !== undefined) span = Math.max(span, kill.durationMs * 1.2);
        await tally.check(iteration, seed, kill, async () => {
          await simIdle(sim);
          const rerun = await runCli(cli.bin, disconnectArgs(at), at.env);
          expect(rerun.code, rerun.stderr).toBe(0);
          const now = sim.counters();
          expect(now.apps - before.apps, "live apps").toBe(-1);
          expect(now.records - before.records, "live records").toBe(-1);
          expect(now.appsDeleted - before.appsDeleted, "app deletions").toBe(1);
          expect(now.recordsDeleted - before.recordsDeleted, "record deletions").toBe(1);
          expect(existsSync(join(at.stateDir, "vault"))).toBe(false);
          for (const name of APPLIANCE_NODES)
            expect(
              readdirSync(at.nodeDirs[name] as string).filter(
                (file) => file === "credentials.age" || file === "meta.json",
              ),
            ).toEqual([]);
          const journal = parseJsonOutput(
            journalJson,
            readFileSync(join(at.stateDir, "journal", "disconnect.json"), "utf8"),
          );
          expect(journal.completedAt).toBeTypeOf("string");
          expect(tempFilesUnder(at.dir)).toEqual([]);
          checkForLeaks([at.dir]);
        });
        rmSync(at.dir, { recursive: true, force: true });
      });
    } finally {
      tally.record(
        "disconnect (3 local nodes, 1 snapshot)",
        [
          "re-run completes the journal",
          "app and record deleted exactly once",
          "vault and node copies gone",
          "no temp file left",
        ],
        seed,
      );
    }
  }, 1_800_000);
});
