import { startGitHubSim, type GitHubSim } from "@connect-ops/github-sim";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  applianceAt,
  copyTree,
  parseJsonOutput,
  snapshotCli,
  SuiteResources,
  testdirSync,
  type CliEnv,
} from "@connect-ops/test-support";
import * as z from "zod";
import { checkForLeaks, registerSecret } from "../support/canary.js";
import { reliabilitySeed, seededRandom } from "../support/reliability-table.js";
import { appKeyAnswer, tokenAnswer } from "./cloud-checks.js";
import { CrashTally, crashIterations, openedGeneration, runCli, runLanes, simIdle, tempFilesUnder } from "./harness.js";
import { manifestFollower } from "./manifest-flow.js";

// SIGKILL of `connect --manifest` (issue 14 item 4) at each journaled step and at random instants, the browser's
// half driven by an HTTP follower of the simulator's redirect. Then the same command again: it either converges
// (connected: the vault's key and token accepted by the cloud, exactly one new App, the journal complete) or
// reports the orphan precisely (exit 3 CLI_MANIFEST_ORPHAN_APP, vault empty, at most one new App, and that App
// named when the kill came after its ids were journaled); never exit 0 beside a second App. After an orphan, the
// person's step (the App deleted) and `--discard-orphan` converge with one App.

const seed = reliabilitySeed();
const LANES = 2;
const POINTS = [
  "manifest:intent-journaled",
  "manifest:converted",
  "manifest:ids-journaled",
  "manifest:key-sealed",
  "manifest:token-sealed",
];
const ACCOUNT = "organization:octo-org";
const suite = new SuiteResources();
const scratch = testdirSync({ prefix: "reliability-crash-manifest-" });
let cli: Awaited<ReturnType<typeof snapshotCli>>;
const sims: GitHubSim[] = [];
let template = "";

const journalShape = z.looseObject({
  appId: z.number().optional(),
  completedAt: z.string().optional(),
});
const errorShape = z.object({ error: z.object({ code: z.string(), message: z.string(), hint: z.string() }) });
const outcomeShape = z.looseObject({ appId: z.number(), installationId: z.number() });

beforeAll(async () => {
  cli = suite.hold(await snapshotCli({ testHooks: true }));
  for (let lane = 0; lane < LANES; lane++) sims.push(suite.hold(await startGitHubSim({ profile: "github.com" })));
  // An initialised appliance (no admin token: the manifest flow needs none), copied per iteration.
  template = join(scratch.path, "template");
  const at = applianceAt(template, "");
  const init = await runCli(cli.bin, ["init"], { ...at.env, CONNECT_OPS_CLOUD_TOKEN: undefined });
  expect(init.code, init.stderr).toBe(0);
}, 300_000);

afterAll(async () => {
  await suite[Symbol.asyncDispose]();
  scratch[Symbol.dispose]();
});

/** One `connect --manifest` run whose printed page the follower takes through the flow; waits for the follower. */
async function manifestRun(sim: GitHubSim, env: CliEnv, extra: readonly string[], killAfterMs?: number) {
  const follower = manifestFollower();
  const argv = ["--json", "connect", "--manifest", "--cloud-url", sim.url, "--account", ACCOUNT, ...extra];
  const run = await runCli(cli.bin, argv, env, killAfterMs, follower.watch);
  await follower.settled();
  await simIdle(sim);
  return run;
}

/** Connected: the journal is complete, the vault's key and token are the cloud's, and `appId` is the one new App. */
async function expectConnected(sim: GitHubSim, stateDir: string, before: ReadonlySet<number>): Promise<void> {
  const journal = parseJsonOutput(
    journalShape,
    readFileSync(join(stateDir, "journal", "connect-manifest.json"), "utf8"),
  );
  expect(journal.completedAt, "the journal is complete").toBeDefined();
  const opened = await openedGeneration(stateDir);
  registerSecret("manifest-crash key", opened.pem as string);
  if (opened.token !== undefined) registerSecret("manifest-crash token", opened.token);
  const fresh = sim.listApps().filter((app) => !before.has(app.id));
  expect(
    fresh.map((app) => app.id),
    "exactly one new App, the vault's",
  ).toEqual([journal.appId]);
  expect(await appKeyAnswer(sim, journal.appId as number, opened.pem as string), "the sealed key authenticates").toBe(
    200,
  );
  expect(await tokenAnswer(sim, opened.token as string), "the sealed token is accepted").toBe(200);
}

describe("crash harness: connect --manifest", () => {
  it("connect --manifest killed at each step and at random instants: the re-run converges with one App or names the orphan; never a silent second App", async () => {
    const iterations = crashIterations(200);
    const random = seededRandom(seed ^ 0x6d61);
    const tally = new CrashTally();
    let orphansReported = 0;
    let orphansNamed = 0;
    // A plain run, measured: random kills land within it.
    const warm = applianceAt(join(scratch.path, "warm-up"), "");
    copyTree(template, warm.dir);
    const plain = await manifestRun(sims[0] as GitHubSim, { ...warm.env, CONNECT_OPS_CLOUD_TOKEN: undefined }, []);
    expect(plain.code, plain.stderr).toBe(0);
    const span = plain.durationMs * 1.2;
    rmSync(warm.dir, { recursive: true, force: true });
    try {
      await runLanes(iterations, LANES, async (iteration, laneIndex) => {
        const sim = sims[laneIndex] as GitHubSim;
        const at = applianceAt(join(scratch.path, `manifest-${iteration}`), "");
        copyTree(template, at.dir);
        const env: CliEnv = { ...at.env, CONNECT_OPS_CLOUD_TOKEN: undefined };
        const before = new Set(sim.listApps().map((app) => app.id));
        const point = iteration < POINTS.length * 4 ? POINTS[iteration % POINTS.length] : undefined;
        const kill = await manifestRun(
          sim,
          { ...env, ...(point === undefined ? {} : { CONNECT_OPS_FAULT_CRASH_AT: point }) },
          [],
          point === undefined ? random() * span : undefined,
        );
        await tally.check(iteration, seed, kill, async () => {
          expect(
            sim.listApps().filter((app) => !before.has(app.id)).length,
            "one kill makes at most one App",
          ).toBeLessThanOrEqual(1);
          const rerun = await manifestRun(sim, env, []);
          const fresh = sim.listApps().filter((app) => !before.has(app.id));
          if (rerun.code === 0) {
            parseJsonOutput(outcomeShape, rerun.stdout);
            await expectConnected(sim, at.stateDir, before);
          } else {
            expect(rerun.code, rerun.stderr).toBe(3);
            const { error } = parseJsonOutput(errorShape, rerun.stdout);
            expect(error.code, rerun.stderr).toBe("CLI_MANIFEST_ORPHAN_APP");
            orphansReported++;
            expect(existsSync(join(at.stateDir, "vault", "meta.json")), "no key sealed beside an orphan").toBe(false);
            expect(fresh.length, "the re-run made no App of its own").toBeLessThanOrEqual(1);
            const named = /\(id (\d+)\)/.exec(error.message);
            if (named !== null) {
              orphansNamed++;
              expect(
                fresh.map((app) => app.id),
                "the named App is the one the killed run made",
              ).toEqual([Number(named[1])]);
              expect(error.hint).toContain(`/settings/apps/${fresh[0]?.slug ?? "?"}/advanced`);
            } else expect(error.message).toContain("may have created an App");
            if (point === "manifest:ids-journaled") expect(named, "ids journaled: the App is named").not.toBeNull();
            expect(error.hint).toContain("--discard-orphan");
            // The person deletes the orphan on the settings page; --discard-orphan starts over.
            for (const app of fresh) expect(sim.deleteApp(app.id)).toBe(true);
            const discard = await manifestRun(sim, env, ["--discard-orphan"]);
            expect(discard.code, discard.stderr).toBe(0);
            await expectConnected(sim, at.stateDir, before);
          }
          expect(tempFilesUnder(at.dir)).toEqual([]);
          checkForLeaks([at.dir]);
        });
        rmSync(at.dir, { recursive: true, force: true });
      });
    } finally {
      tally.record(
        "connect --manifest",
        [
          "the re-run converges: one new App, whose key and token the cloud accepts, journal complete",
          `or names the orphan (${orphansReported} reported, ${orphansNamed} by id): exit 3, vault empty, no second App`,
          "after the orphan is deleted, --discard-orphan converges with one App",
          "no temp file left",
        ],
        seed,
      );
    }
  }, 1_800_000);
});
