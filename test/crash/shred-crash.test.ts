import { startGitHubSim } from "@connect-ops/github-sim";
import {
  applianceAt,
  connectedAppliance,
  copyTree,
  snapshotCli,
  SuiteResources,
  testdirSync,
} from "@connect-ops/test-support";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { reliabilitySeed, seededRandom } from "../support/reliability-table.js";
import { CrashTally, crashIterations, runCli, runLanes, tempFilesUnder, type KilledRun } from "./harness.js";

// Issue 17.3: SIGKILL `shred` at every `shred:*` checkpoint (each occurrence: a re-run with the same
// point dies at the next node) and at random instants, then re-run: every target (the appliance
// identity and each enrolled node's) destroyed exactly once, a valid signed attestation, no identity
// half-written at any instant, no temp left in the state dir, the identities fingerprinted first.
// Nodes are local directories (the transport contract covers ssh, jump hosts and sudo).

const seed = reliabilitySeed();
const LANES = 2;
const SHRED_POINTS = [
  "shred:planned",
  "shred:appliance-aside",
  "shred:appliance-overwritten",
  "shred:destroyed-appliance",
  "shred:node-fingerprinted",
  "shred:destroyed-node",
  "shred:attested",
];
const ENROLLED = ["replica-1", "data-1"] as const;
const NODE_IDENTITY = "node-identity.txt";
const ASIDE = `.${NODE_IDENTITY}.shredding`;
const suite = new SuiteResources();
let cli: Awaited<ReturnType<typeof snapshotCli>>;
const scratch = testdirSync({ prefix: "reliability-crash-shred-" });
const template = join(scratch.path, "template");
const tally = new CrashTally();

/** The template's identity files (relative to the appliance dir) and their SHA-256 and secret line, read once. */
let identities: { rel: string; sha256: string; line: string }[] = [];

const sha256 = (bytes: Buffer): string => createHash("sha256").update(bytes).digest("hex");
const identityLine = (bytes: Buffer): string =>
  bytes
    .toString("latin1")
    .split("\n")
    .find((line) => line.startsWith("AGE-SECRET-KEY-1")) ?? "";

beforeAll(async () => {
  // eslint-disable-next-line no-console -- the seed is printed so a failing run can be replayed (issue 8)
  console.log(`crash harness (shred): seed ${seed} — replay with RELIABILITY_SEED=${seed}`);
  cli = suite.hold(await snapshotCli({ testHooks: true }));
  const sim = suite.hold(await startGitHubSim());
  const connectOps = (argv: readonly string[], env: Record<string, string | undefined> = {}) =>
    runCli(cli.bin, argv, env);
  const app = await connectedAppliance({ cloud: sim, dir: template, connectOps });
  const must = async (...argv: string[]): Promise<void> => {
    const run = await connectOps(argv, app.env);
    expect(run.code, `${argv.join(" ")}: ${run.stderr}`).toBe(0);
  };
  for (const node of ENROLLED) await must("node", "enroll", "--inventory", app.inventory, "--node", node);
  await must("replicate", "--inventory", app.inventory);
  await must("disconnect", "--inventory", app.inventory, "--yes");
  identities = ["state/age-identity.txt", ...ENROLLED.map((node) => `nodes/${node}/${NODE_IDENTITY}`)].map((rel) => {
    const bytes = readFileSync(join(template, rel));
    return { rel, sha256: sha256(bytes), line: identityLine(bytes) };
  });
  for (const identity of identities) expect(identity.line, identity.rel).not.toBe("");
}, 300_000);

afterAll(async () => {
  tally.record("shred", ["each target destroyed exactly once", "signed attestation", "no torn identity"], seed);
  await suite[Symbol.asyncDispose]();
  scratch[Symbol.dispose]();
});

const target = z.looseObject({ role: z.string(), where: z.string(), recipient: z.string(), state: z.string() });
const attestationSchema = z.looseObject({ destroyed: z.array(target), notDestroyed: z.array(target) });
const disconnectJournal = z.looseObject({
  fingerprints: z.array(z.looseObject({ identityHashes: z.array(z.string()).optional() })),
});

let counter = 0;
function freshCopy(): { dir: string; env: Record<string, string>; argv: string[] } {
  const dir = join(scratch.path, `s${counter++}`);
  copyTree(template, dir);
  const layout = applianceAt(dir, "");
  return { dir, env: { CONNECT_OPS_STATE_DIR: layout.stateDir }, argv: ["shred", "--inventory", layout.inventory] };
}

/** At any instant: each identity file is whole (the template's bytes) or gone; never torn, never replaced. */
function expectNoTornIdentity(dir: string, label: string): void {
  for (const identity of identities) {
    const path = join(dir, identity.rel);
    if (existsSync(path)) expect(sha256(readFileSync(path)), `${label}: ${identity.rel} is torn`).toBe(identity.sha256);
  }
  disconnectJournal.parse(JSON.parse(readFileSync(join(dir, "state", "journal", "disconnect.json"), "utf8")));
}

/** After the re-run: every target destroyed once, the attestation signed, nothing of any identity left anywhere. */
function expectConverged(dir: string, label: string): void {
  const stateDir = join(dir, "state");
  const file = join(stateDir, "shred-attestation.json");
  const verified = spawnSync("openssl", [
    "pkeyutl",
    "-verify",
    "-pubin",
    "-inkey",
    join(stateDir, "audit-signing.pub"),
    "-rawin",
    "-in",
    file,
    "-sigfile",
    `${file}.sig`,
  ]);
  expect(verified.status, `${label}: ${verified.stderr.toString()}`).toBe(0);
  const attestation = attestationSchema.parse(JSON.parse(readFileSync(file, "utf8")));
  expect(attestation.notDestroyed, label).toEqual([]);
  expect(attestation.destroyed.map((entry) => entry.role).sort(), label).toEqual(["appliance", "node", "node"]);
  expect(new Set(attestation.destroyed.map((entry) => entry.where)).size, label).toBe(3);
  expect(new Set(attestation.destroyed.map((entry) => entry.recipient)).size, label).toBe(3);
  for (const entry of attestation.destroyed) expect(entry.state, label).toBe("destroyed");
  for (const identity of identities)
    expect(existsSync(join(dir, identity.rel)), `${label}: ${identity.rel}`).toBe(false);
  for (const node of ENROLLED) expect(readdirSync(join(dir, "nodes", node)), `${label}: ${node}`).not.toContain(ASIDE);
  expect(tempFilesUnder(stateDir), label).toEqual([]);
  // Fingerprinted before destroyed: every set recognises all three identities.
  const journal = disconnectJournal.parse(
    JSON.parse(readFileSync(join(stateDir, "journal", "disconnect.json"), "utf8")),
  );
  for (const set of journal.fingerprints) expect(set.identityHashes?.length ?? 0, label).toBeGreaterThanOrEqual(3);
  // No file of the tree holds a destroyed identity any more.
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true }))
    if (entry.isFile()) {
      const text = readFileSync(join(entry.parentPath, entry.name), "latin1");
      for (const identity of identities)
        expect(text.includes(identity.line), `${label}: ${entry.name} holds ${identity.rel}`).toBe(false);
    }
}

describe("shred after a SIGKILL", () => {
  it.each(SHRED_POINTS)("at every %s: no torn identity, the re-run converges", async (point) => {
    const copy = freshCopy();
    // Die at the point, then again at its next occurrence (the next node), up to three kills in a row.
    let kills = 0;
    for (let attempt = 0; attempt < 3; attempt++) {
      const killed: KilledRun = await runCli(cli.bin, copy.argv, { ...copy.env, CONNECT_OPS_FAULT_CRASH_AT: point });
      await tally.check(attempt, seed, killed, () => {
        expectNoTornIdentity(copy.dir, `${point} #${attempt}`);
        return Promise.resolve();
      });
      if (killed.signal !== "SIGKILL") {
        expect(killed.code, killed.stderr).toBe(0);
        break;
      }
      kills++;
    }
    expect(kills, `${point}: never reached`).toBeGreaterThan(0);
    const again = await runCli(cli.bin, copy.argv, copy.env);
    expect(again.code, again.stderr).toBe(0);
    expectConverged(copy.dir, point);
  });

  it(`at random instants (${crashIterations(200)} kills, seeded): the same invariants`, async () => {
    const random = seededRandom(seed);
    const plain = freshCopy();
    const measured = await runCli(cli.bin, plain.argv, plain.env);
    expect(measured.code, measured.stderr).toBe(0);
    expectConverged(plain.dir, "plain run");
    const span = measured.durationMs * 0.95;
    const delays = Array.from({ length: crashIterations(200) }, () => Math.floor(random() * span));
    let killedCount = 0;
    await runLanes(delays.length, LANES, async (iteration) => {
      const copy = freshCopy();
      const label = `iteration ${iteration} (kill after ${delays[iteration] ?? 0} ms, seed ${seed})`;
      const killed = await runCli(cli.bin, copy.argv, copy.env, delays[iteration]);
      if (killed.killedByRunner) killedCount++;
      else expect(killed.code, `${label}: ${killed.stderr}`).toBe(0);
      await tally.check(iteration, seed, killed, async () => {
        expectNoTornIdentity(copy.dir, label);
        const again = await runCli(cli.bin, copy.argv, copy.env);
        expect(again.code, `${label}: ${again.stderr}`).toBe(0);
        expectConverged(copy.dir, label);
      });
    });
    expect(killedCount).toBeGreaterThan(delays.length / 2);
  }, 3_600_000);
});
