import { startGitHubSim, type GitHubSim } from "@connect-ops/github-sim";
import { createHash, createSign } from "node:crypto";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
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
} from "@connect-ops/test-support";
import { checkForLeaks, registerSecret } from "../support/canary.js";
import { reliabilitySeed, seededRandom } from "../support/reliability-table.js";
import { connectedTemplate } from "./fixtures.js";
import { CrashTally, crashIterations, openedGeneration, runCli, runLanes, simIdle, tempFilesUnder } from "./harness.js";

// SIGKILL at every journaled step of `rotate-key` and `rotate-key --finish` (issue 17), and at random instants,
// then the re-run: exactly one active key, which the cloud accepts; no node or vault with a torn or unopenable
// generation; no key dropped before the cloud refuses it. Each lane owns a simulator and two templates: one
// connected (for `--new-key`) and one whose rotation awaits `--finish` with the old key already deleted.

const seed = reliabilitySeed();
const LANES = 3;
const ROTATE_POINTS = [
  "rotate-key:proven",
  "rotate-key:sealed",
  "rotate-key:token-received",
  "rotate-key:minted",
  "rotate-key:new-key-replicated",
  "rotate-key:replicated",
  "rotate-key:new-key-included",
  "rotate-key:included",
];
const FINISH_POINTS = [
  "rotate-key:oldKeyRefused",
  "rotate-key:dropped",
  "rotate-key:finish-replicated",
  "rotate-key:finish-included",
];
const suite = new SuiteResources();
const scratch = testdirSync({ prefix: "reliability-crash-rotate-" });
let cli: Awaited<ReturnType<typeof snapshotCli>>;
interface Lane {
  readonly sim: GitHubSim;
  readonly connected: string;
  readonly awaitingFinish: string;
  readonly appId: number;
  readonly finishAppId: number;
  /** The key every `--new-key` iteration rotates in: each copies a fresh template, so one key serves them all. */
  readonly newKey: { readonly keyId: number; readonly pem: string; readonly fingerprint: string };
}
const lanes: Lane[] = [];
let recipient = "";

const metaShape = z.looseObject({
  generation: z.number(),
  appId: z.number(),
  keyFingerprint: z.string(),
  sealedSha256: z.string(),
  retiringKeyFingerprints: z.array(z.string()).optional(),
  retiredResidue: z.array(z.looseObject({ keyFingerprint: z.string() })).optional(),
});
const readMeta = (dir: string) => parseJsonOutput(metaShape, readFileSync(join(dir, "meta.json"), "utf8"));

/** `GET /app` with a JWT signed by `pem`: what the cloud answers for that key. */
async function cloudAnswer(sim: GitHubSim, appId: number, pem: string): Promise<number> {
  const now = Math.floor(sim.now() / 1000);
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");
  const input = `${part({ alg: "RS256", typ: "JWT" })}.${part({ iat: now - 60, exp: now + 540, iss: appId })}`;
  const signature = createSign("RSA-SHA256").update(input).sign(pem).toString("base64url");
  const response = await fetch(`${sim.url}/app`, { headers: { authorization: `Bearer ${input}.${signature}` } });
  await response.arrayBuffer();
  return response.status;
}

async function addKey(sim: GitHubSim, appId: number): Promise<{ keyId: number; pem: string; fingerprint: string }> {
  const key = await sim.addAppKey(appId);
  if (key === undefined) throw new Error(`the simulator has no app ${appId}`);
  registerSecret("rotated-in key", key.pem);
  return key;
}

/** The appliance's vault opens; every node holds a whole generation (its meta describes its sealed file) whose key the cloud knows. */
async function expectWholeEverywhere(lane: Lane, at: ReturnType<typeof applianceAt>, appId: number): Promise<void> {
  const opened = await openedGeneration(at.stateDir);
  expect(opened.generation).not.toBeNull();
  const live = new Set((lane.sim.listAppKeys(appId) ?? []).map((key) => key.fingerprint));
  expect(await cloudAnswer(lane.sim, appId, opened.pem as string), "the vault's active key is accepted").toBe(200);
  for (const [name, nodeDir] of Object.entries(at.nodeDirs)) {
    const node = readMeta(nodeDir);
    const sealed = createHash("sha256")
      .update(readFileSync(join(nodeDir, "credentials.age")))
      .digest("hex");
    expect(sealed, `${name} holds a whole generation`).toBe(node.sealedSha256);
    expect(live.has(node.keyFingerprint), `${name}'s active key is one the cloud accepts`).toBe(true);
  }
}

beforeAll(async () => {
  cli = suite.hold(await snapshotCli({ testHooks: true }));
  const { execFileSync } = await import("node:child_process");
  execFileSync("age-keygen", ["-o", join(scratch.path, "backup-identity.txt")], { stdio: "ignore" });
  recipient = execFileSync("age-keygen", ["-y", join(scratch.path, "backup-identity.txt")], {
    encoding: "utf8",
  }).trim();
  for (let lane = 0; lane < LANES; lane++) {
    const sim = suite.hold(await startGitHubSim());
    const connected = join(scratch.path, `template-connected-${lane}`);
    const appliance = await connectedTemplate(cli.bin, sim, connected);
    const appId = readMeta(join(appliance.stateDir, "vault")).appId;
    // The second template: rotated (exit 3, a person's step pending), then the old key deleted on the "settings page".
    const awaitingFinish = join(scratch.path, `template-finish-${lane}`);
    const second = await connectedTemplate(cli.bin, sim, awaitingFinish);
    const finishAppId = readMeta(join(second.stateDir, "vault")).appId;
    const [original] = sim.listAppKeys(finishAppId) ?? [];
    const key = await addKey(sim, finishAppId);
    mkdirSync(join(awaitingFinish, "stage"));
    writeFileSync(join(awaitingFinish, "stage", "new.pem"), key.pem, { mode: 0o600 });
    const rotated = await runCli(
      cli.bin,
      ["rotate-key", "--new-key", join(awaitingFinish, "stage", "new.pem"), "--inventory", second.inventory],
      second.env,
    );
    expect(rotated.code, rotated.stderr).toBe(3);
    expect(sim.deleteAppKey(finishAppId, (original as { keyId: number }).keyId)).toBe(true);
    lanes.push({ sim, connected, awaitingFinish, appId, finishAppId, newKey: await addKey(sim, appId) });
  }
}, 300_000);

afterAll(async () => {
  await suite[Symbol.asyncDispose]();
  scratch[Symbol.dispose]();
});

const spread = (at: ReturnType<typeof applianceAt>) => [
  "--inventory",
  at.inventory,
  "--data-dir",
  at.dataDir,
  "--backup-policy",
  "include",
  "--recipient",
  recipient,
];

describe("crash harness: rotate-key", () => {
  it("rotate-key --new-key and --finish killed at each step and at random instants: one live active key, nothing torn, nothing dropped early", async () => {
    const iterations = crashIterations(200);
    const random = seededRandom(seed ^ 0x7073);
    const tally = new CrashTally();
    // A plain run of each half, measured: random kills land within it.
    const spans: number[] = [];
    for (const finishing of [false, true]) {
      const lane = lanes[0] as Lane;
      const at = applianceAt(join(scratch.path, `warm-up-${finishing}`), lane.sim.createAdminToken());
      copyTree(finishing ? lane.awaitingFinish : lane.connected, at.dir);
      let argv = ["rotate-key", "--finish", ...spread(at)];
      if (!finishing) {
        mkdirSync(join(at.dir, "stage"), { recursive: true });
        writeFileSync(join(at.dir, "stage", "new.pem"), lane.newKey.pem, { mode: 0o600 });
        argv = ["rotate-key", "--new-key", join(at.dir, "stage", "new.pem"), ...spread(at)];
      }
      const run = await runCli(cli.bin, argv, at.env);
      expect(run.code, run.stderr).toBe(finishing ? 0 : 3);
      spans.push(run.durationMs * 1.2);
      rmSync(at.dir, { recursive: true, force: true });
    }
    try {
      await runLanes(iterations, LANES, async (iteration, laneIndex) => {
        const lane = lanes[laneIndex] as Lane;
        const finishing = iteration % 2 === 1;
        const template = finishing ? lane.awaitingFinish : lane.connected;
        const appId = finishing ? lane.finishAppId : lane.appId;
        const at = applianceAt(join(scratch.path, `rotate-${iteration}`), lane.sim.createAdminToken());
        copyTree(template, at.dir);
        const before = readMeta(join(at.stateDir, "vault"));
        let newKey: { keyId: number; fingerprint: string } | undefined;
        let argv: string[];
        if (finishing) argv = ["--json", "rotate-key", "--finish", ...spread(at)];
        else {
          const key = lane.newKey;
          newKey = key;
          mkdirSync(join(at.dir, "stage"), { recursive: true });
          writeFileSync(join(at.dir, "stage", "new.pem"), key.pem, { mode: 0o600 });
          argv = ["--json", "rotate-key", "--new-key", join(at.dir, "stage", "new.pem"), ...spread(at)];
        }
        const points = finishing ? FINISH_POINTS : ROTATE_POINTS;
        const ordinal = Math.floor(iteration / 2);
        const point = ordinal < points.length * 2 ? points[ordinal % points.length] : undefined;
        const kill = await runCli(
          cli.bin,
          argv,
          { ...at.env, ...(point === undefined ? {} : { CONNECT_OPS_FAULT_CRASH_AT: point }) },
          point === undefined ? random() * (spans[finishing ? 1 : 0] as number) : undefined,
        );
        await tally.check(iteration, seed, kill, async () => {
          await simIdle(lane.sim);
          await expectWholeEverywhere(lane, at, appId);
          const afterKill = readMeta(join(at.stateDir, "vault"));
          // No key dropped before the cloud refuses it: the old key is active or retiring, or (finish) refused.
          const kept = [afterKill.keyFingerprint, ...(afterKill.retiringKeyFingerprints ?? [])];
          if (!finishing) expect(kept).toContain(before.keyFingerprint);
          const rerun = await runCli(cli.bin, argv, at.env);
          expect(rerun.code, rerun.stderr).toBe(finishing ? 0 : 3);
          const after = readMeta(join(at.stateDir, "vault"));
          if (finishing) {
            expect(after.retiringKeyFingerprints).toBeUndefined();
            expect(after.retiredResidue?.map((set) => set.keyFingerprint)).toContain(
              before.retiringKeyFingerprints?.[0],
            );
          } else {
            expect(after.keyFingerprint).toBe(newKey?.fingerprint);
            expect(after.retiringKeyFingerprints).toEqual([before.keyFingerprint]);
          }
          await expectWholeEverywhere(lane, at, appId);
          for (const nodeDir of Object.values(at.nodeDirs)) expect(readMeta(nodeDir).generation).toBe(after.generation);
          expect(tempFilesUnder(at.dir)).toEqual([]);
          const opened = await openedGeneration(at.stateDir);
          if (opened.token !== undefined) registerSecret("rotated token", opened.token);
          checkForLeaks([at.dir]);
        });
        rmSync(at.dir, { recursive: true, force: true });
      });
    } finally {
      tally.record(
        "rotate-key",
        [
          "vault and every node hold a whole generation",
          "the active key is one the cloud accepts",
          "no key dropped before the cloud refuses it",
          "the re-run finishes the rotation",
          "no temp file left",
        ],
        seed,
      );
    }
  }, 1_800_000);
});
