import { startGitHubSim, type GitHubSim, type SimCreatedApp } from "@connect-ops/github-sim";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as z from "zod";
import {
  applianceAt,
  copyTree,
  parseJsonOutput,
  snapshotCli,
  SuiteResources,
  testdirSync,
  type CliEnv,
} from "@connect-ops/test-support";
import { checkForLeaks, registerSecret } from "../support/canary.js";
import { reliabilitySeed, seededRandom } from "../support/reliability-table.js";
import { appKeyAnswer, tokenAnswer } from "./cloud-checks.js";
import { CrashTally, crashIterations, openedGeneration, runCli, runLanes, simIdle, tempFilesUnder } from "./harness.js";

// SIGKILL of `adopt` (issue 14 item 5) at each of its steps and at random instants, half the runs with
// `--remove-source`; then the same command again converges: exactly one sealed key, the App's, whose fingerprint
// the cloud lists and whose JWT it accepts; a token the cloud accepts; the journal complete; no temp left. The PEM
// file is never both gone (or zeroed) and missing from the vault: after the kill it is intact, or the vault holds
// the key; after the re-run it is gone with `--remove-source` and untouched without.

const seed = reliabilitySeed();
const LANES = 2;
const POINTS = ["adopt:key-sealed", "adopt:token-sealed", "adopt:journaled", "adopt:source-overwritten"];
const suite = new SuiteResources();
const scratch = testdirSync({ prefix: "reliability-crash-adopt-" });
let cli: Awaited<ReturnType<typeof snapshotCli>>;
interface Lane {
  readonly sim: GitHubSim;
  readonly app: SimCreatedApp;
  readonly fingerprint: string;
}
const lanes: Lane[] = [];
let template = "";

const journalShape = z.looseObject({ appId: z.number(), completedAt: z.string() });
const metaShape = z.looseObject({ appId: z.number(), keyFingerprint: z.string() });

beforeAll(async () => {
  cli = suite.hold(await snapshotCli({ testHooks: true }));
  for (let lane = 0; lane < LANES; lane++) {
    const sim = suite.hold(await startGitHubSim({ profile: "github.com" }));
    // One App per lane, made on the "settings page"; every iteration adopts it into a fresh state dir.
    const app = await sim.createApp({ type: "organization", login: "octo-org" });
    registerSecret(`adopt-crash key ${lane}`, app.pem);
    const [key] = sim.listAppKeys(app.id) ?? [];
    lanes.push({ sim, app, fingerprint: (key as { fingerprint: string }).fingerprint });
  }
  template = join(scratch.path, "template");
  const at = applianceAt(template, "");
  const init = await runCli(cli.bin, ["init"], { ...at.env, CONNECT_OPS_CLOUD_TOKEN: undefined });
  expect(init.code, init.stderr).toBe(0);
}, 300_000);

afterAll(async () => {
  await suite[Symbol.asyncDispose]();
  scratch[Symbol.dispose]();
});

const adoptArgv = (sim: GitHubSim, app: SimCreatedApp, pemFile: string, removeSource: boolean): string[] => [
  "--json",
  "adopt",
  "--cloud-url",
  sim.url,
  "--app-id",
  String(app.id),
  "--private-key",
  pemFile,
  "--installation-id",
  String(app.installationId),
  ...(removeSource ? ["--remove-source"] : []),
];

/** The PEM file: intact, gone, or overwritten (any byte differs: our zeros, whole or in part). */
function sourceState(pemFile: string, pem: string): "intact" | "gone" | "overwritten" {
  if (!existsSync(pemFile)) return "gone";
  return readFileSync(pemFile, "utf8") === pem ? "intact" : "overwritten";
}

describe("crash harness: adopt", () => {
  it("adopt (with and without --remove-source) killed at each step and at random instants: one sealed key the cloud accepts, a token it accepts, the PEM never lost", async () => {
    const iterations = crashIterations(200);
    const random = seededRandom(seed ^ 0x6164);
    const tally = new CrashTally();
    const stage = (dir: string, pem: string): string => {
      mkdirSync(join(dir, "stage"), { recursive: true });
      const file = join(dir, "stage", "app.pem");
      writeFileSync(file, pem, { mode: 0o600 });
      return file;
    };
    // A plain run, measured: random kills land within it.
    const first = lanes[0] as Lane;
    const warm = applianceAt(join(scratch.path, "warm-up"), "");
    copyTree(template, warm.dir);
    const plain = await runCli(cli.bin, adoptArgv(first.sim, first.app, stage(warm.dir, first.app.pem), true), {
      ...warm.env,
      CONNECT_OPS_CLOUD_TOKEN: undefined,
    });
    expect(plain.code, plain.stderr).toBe(0);
    const span = plain.durationMs * 1.2;
    rmSync(warm.dir, { recursive: true, force: true });
    try {
      await runLanes(iterations, LANES, async (iteration, laneIndex) => {
        const { sim, app, fingerprint } = lanes[laneIndex] as Lane;
        const removeSource = iteration % 2 === 1;
        const at = applianceAt(join(scratch.path, `adopt-${iteration}`), "");
        copyTree(template, at.dir);
        const env: CliEnv = { ...at.env, CONNECT_OPS_CLOUD_TOKEN: undefined };
        const pemFile = stage(at.dir, app.pem);
        const argv = adoptArgv(sim, app, pemFile, removeSource);
        // Each point twice with --remove-source (source-overwritten exists only there), once without.
        const ordinal = Math.floor(iteration / 2);
        const point = ordinal < POINTS.length * 2 ? POINTS[ordinal % POINTS.length] : undefined;
        const kill = await runCli(
          cli.bin,
          argv,
          { ...env, ...(point === undefined ? {} : { CONNECT_OPS_FAULT_CRASH_AT: point }) },
          point === undefined ? random() * span : undefined,
        );
        await tally.check(iteration, seed, kill, async () => {
          await simIdle(sim);
          // After the kill: the key is in the PEM file (intact) or in the vault, never in neither.
          const afterKill = sourceState(pemFile, app.pem);
          if (!removeSource) expect(afterKill, "without --remove-source the file is not touched").toBe("intact");
          if (afterKill !== "intact") {
            expect((await openedGeneration(at.stateDir)).pem, "the source went only after the key was sealed").toBe(
              app.pem,
            );
          }
          const rerun = await runCli(cli.bin, argv, env);
          expect(rerun.code, rerun.stderr).toBe(0);
          expect(sourceState(pemFile, app.pem)).toBe(removeSource ? "gone" : "intact");
          const meta = parseJsonOutput(metaShape, readFileSync(join(at.stateDir, "vault", "meta.json"), "utf8"));
          expect(meta.appId).toBe(app.id);
          expect(meta.keyFingerprint, "the one sealed key is the App's, listed by the cloud").toBe(fingerprint);
          const opened = await openedGeneration(at.stateDir);
          expect(opened.pem).toBe(app.pem);
          expect(await appKeyAnswer(sim, app.id, opened.pem as string), "the cloud accepts the sealed key").toBe(200);
          registerSecret("adopt-crash token", opened.token as string);
          expect(await tokenAnswer(sim, opened.token as string), "the cloud accepts the sealed token").toBe(200);
          const journal = parseJsonOutput(
            journalShape,
            readFileSync(join(at.stateDir, "journal", "adopt.json"), "utf8"),
          );
          expect(journal.appId).toBe(app.id);
          expect(tempFilesUnder(at.dir)).toEqual([]);
          if (!removeSource) rmSync(pemFile); // the operator's download, not our residue
          checkForLeaks([at.dir]);
        });
        rmSync(at.dir, { recursive: true, force: true });
      });
    } finally {
      tally.record(
        "adopt",
        [
          "one sealed key, the App's, whose JWT the cloud accepts",
          "a sealed token the cloud accepts, journal complete",
          "--remove-source: the PEM is intact or the vault holds the key, never neither; gone after the re-run",
          "no temp file left",
        ],
        seed,
      );
    }
  }, 1_800_000);
});
