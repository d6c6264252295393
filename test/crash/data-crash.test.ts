import { scanPath } from "@connect-ops/backup-hooks";
import { createResidueMatcher, residueFingerprintsSchema } from "@connect-ops/connection-core";
import { startGitHubSim, type GitHubSim } from "@connect-ops/github-sim";
import { parseInventory, probeNodes } from "@connect-ops/replication";
import { execFileSync } from "node:child_process";
import { existsSync, linkSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backupRecipient, pemLine, plantInArchives } from "../disconnect-fixture.js";
import { checkForLeaks } from "../support/canary.js";
import { reliabilitySeed, seededRandom } from "../support/reliability-table.js";
import {
  APPLIANCE_NODES,
  applianceAt,
  copyTree,
  parseJsonOutput,
  snapshotCli,
  SuiteResources,
  testdirSync,
} from "@connect-ops/test-support";
import * as z from "zod";
import { connectedTemplate, fileDigests } from "./fixtures.js";
import { CrashTally, crashIterations, openedGeneration, runCli, runLanes, tempFilesUnder } from "./harness.js";

// SIGKILL at random instants during replicate, backup include and backup
// redact (issue 8, part 1). Each iteration copies a prepared appliance tree
// (`cp -a`), kills the command after a seeded random delay, checks the state
// the kill left, re-runs the command, and checks the converged state.

const seed = reliabilitySeed();
const LANES = 2;
const suite = new SuiteResources();
let sim: GitHubSim;
let cli: Awaited<ReturnType<typeof snapshotCli>>;
const scratch = testdirSync({ prefix: "reliability-crash-data-" });
let template: string;
let recipient: string;
let generationBefore: number;
let plainDuration = 0;
const redactedReference: Record<string, string> = {};
let originalCurrent: Record<string, string> = {};
let originalOlder: Record<string, string> = {};

beforeAll(async () => {
  // eslint-disable-next-line no-console -- the seed is printed so a failing run can be replayed (issue 8)
  console.log(`crash harness (data): seed ${seed} — replay with RELIABILITY_SEED=${seed}`);
  cli = suite.hold(await snapshotCli());
  sim = suite.hold(await startGitHubSim());
  template = join(scratch.path, "template");
  const appliance = await connectedTemplate(cli.bin, sim, template);
  generationBefore = (await openedGeneration(appliance.stateDir)).generation ?? 0;
  // The primary moves one generation ahead of every node: replicate has work to do.
  const forced = await runCli(cli.bin, ["token", "--force"], appliance.env);
  expect(forced.code, forced.stderr).toBe(0);
  recipient = backupRecipient(template);
  // Residue for redact: a plain file, a tar member and a gzip stream, one file hard-linked into the older snapshot.
  plantInArchives(appliance.current, `token=${appliance.secrets.token}\n${pemLine(appliance.secrets.pem)}`, "planted");
  writeFileSync(join(appliance.current, "connect-sync.log"), `sync ok with ${appliance.secrets.token}\n`);
  linkSync(join(appliance.current, "connect-sync.log"), join(appliance.older, "connect-sync.log"));
  originalCurrent = fileDigests(appliance.current);
  originalOlder = fileDigests(appliance.older);
  // The reference redaction, from a copy that is never killed.
  const reference = join(scratch.path, "reference");
  copyTree(template, reference);
  const at = applianceAt(reference, "");
  const started = performance.now();
  const redacted = await runCli(cli.bin, ["backup", "redact", at.current], at.env);
  plainDuration = performance.now() - started;
  expect(redacted.code, redacted.stderr).toBe(0);
  Object.assign(redactedReference, fileDigests(at.current));
}, 300_000);

afterAll(async () => {
  await suite[Symbol.asyncDispose]();
  scratch[Symbol.dispose]();
});

/** Copies the template for one iteration; the caller removes it after the leak check. */
function iterationTree(name: string) {
  const dir = join(scratch.path, name);
  copyTree(template, dir);
  return applianceAt(dir, "");
}

/** Measures one plain run of the command on a fresh copy: the kill delays spread over [0, 1.2 × that]. */
async function plainRunMs(argv: (at: ReturnType<typeof applianceAt>) => string[]): Promise<number> {
  const at = iterationTree("warm-up");
  const run = await runCli(cli.bin, argv(at), at.env);
  rmSync(at.dir, { recursive: true, force: true });
  expect([0, 1]).toContain(run.code);
  return run.durationMs;
}

describe("crash harness: replicate, backup include, backup redact", () => {
  it("replicate killed at random instants: every node holds the old or the new complete pair; the re-run converges", async () => {
    const iterations = crashIterations(200);
    const random = seededRandom(seed ^ 0x5e91);
    const replicateArgs = (at: ReturnType<typeof applianceAt>) => ["--json", "replicate", "--inventory", at.inventory];
    const span = (await plainRunMs(replicateArgs)) * 1.2;
    const tally = new CrashTally();
    try {
      await runLanes(iterations, LANES, async (iteration) => {
        const delay = random() * span;
        const at = iterationTree(`replicate-${iteration}`);
        const kill = await runCli(cli.bin, replicateArgs(at), at.env, delay);
        await tally.check(iteration, seed, kill, async () => {
          const primary = await openedGeneration(at.stateDir);
          const nodes = parseInventory(readFileSync(at.inventory, "utf8"), {
            source: at.inventory,
            baseDir: at.dir,
          }).nodes;
          for (const probe of await probeNodes(nodes)) {
            expect(probe.consistent, `${probe.name} after the kill`).toBe(true);
            expect([generationBefore, primary.generation]).toContain(probe.generation);
          }
          const rerun = await runCli(cli.bin, replicateArgs(at), at.env);
          expect(rerun.code, rerun.stderr).toBe(0);
          for (const probe of await probeNodes(nodes)) {
            expect(probe, probe.name).toMatchObject({ consistent: true, generation: primary.generation });
          }
          for (const name of APPLIANCE_NODES) {
            expect(
              readFileSync(join(at.nodeDirs[name] as string, "credentials.age")).equals(
                readFileSync(join(at.stateDir, "vault", "credentials.age")),
              ),
            ).toBe(true);
          }
          const left = tempFilesUnder(at.dir);
          expect(left, "temp files left after the re-run").toEqual([]);
          checkForLeaks([at.dir]);
        });
        rmSync(at.dir, { recursive: true, force: true });
      });
    } finally {
      tally.record(
        "replicate (3 local nodes)",
        ["each node old or new complete pair", "re-run converges byte-identical", "no temp file left"],
        seed,
      );
    }
  }, 1_800_000);

  it("backup include killed at random instants: the sealed copy is absent or complete; the re-run includes it", async () => {
    const iterations = crashIterations(200);
    const random = seededRandom(seed ^ 0x1c1d);
    const includeArgs = (at: ReturnType<typeof applianceAt>) => [
      "--json",
      "backup",
      "include",
      at.current,
      "--recipient",
      recipient,
    ];
    const span = (await plainRunMs(includeArgs)) * 1.2;
    const tally = new CrashTally();
    const identity = join(template, "backup-identity.txt");
    const sealedCopyOpens = (at: ReturnType<typeof applianceAt>): boolean => {
      const sealed = join(at.current, "github-connect", "credentials.age");
      if (!existsSync(sealed)) return false;
      const opened = JSON.parse(execFileSync("age", ["-d", "-i", identity, sealed]).toString()) as {
        credentials: { app: { privateKeyPem: string } };
      };
      return opened.credentials.app.privateKeyPem.includes("PRIVATE KEY");
    };
    try {
      await runLanes(iterations, LANES, async (iteration) => {
        const at = iterationTree(`include-${iteration}`);
        const kill = await runCli(cli.bin, includeArgs(at), at.env, random() * span);
        await tally.check(iteration, seed, kill, async () => {
          // Whatever the kill left: a sealed copy present is one the backup identity opens.
          if (existsSync(join(at.current, "github-connect", "credentials.age"))) expect(sealedCopyOpens(at)).toBe(true);
          const rerun = await runCli(cli.bin, includeArgs(at), at.env);
          expect(rerun.code, rerun.stderr).toBe(0);
          expect(sealedCopyOpens(at)).toBe(true);
          expect(JSON.parse(readFileSync(join(at.current, "github-connect", "manifest.json"), "utf8"))).toMatchObject({
            recipients: [recipient],
          });
          expect(fileDigests(at.older)).toEqual(originalOlder);
          const left = tempFilesUnder(at.dir);
          expect(left, "temp files left after the re-run").toEqual([]);
          checkForLeaks([at.dir]);
        });
        rmSync(at.dir, { recursive: true, force: true });
      });
    } finally {
      tally.record(
        "backup include",
        [
          "sealed copy absent or opens with the backup identity",
          "re-run completes",
          "other snapshot untouched",
          "no temp file left",
        ],
        seed,
      );
    }
  }, 1_800_000);

  it("backup redact killed at random instants: each file is original or fully redacted; the re-run leaves no residue", async () => {
    const iterations = crashIterations(200);
    const random = seededRandom(seed ^ 0x4ed4);
    const redactArgs = (at: ReturnType<typeof applianceAt>) => ["--json", "backup", "redact", at.current];
    const span = plainDuration * 1.2;
    const tally = new CrashTally();
    const { residue: fingerprints } = parseJsonOutput(
      z.looseObject({ residue: residueFingerprintsSchema }),
      readFileSync(join(template, "state", "vault", "meta.json"), "utf8"),
    );
    const matcher = createResidueMatcher([fingerprints]);
    try {
      await runLanes(iterations, LANES, async (iteration) => {
        const at = iterationTree(`redact-${iteration}`);
        const kill = await runCli(cli.bin, redactArgs(at), at.env, random() * span);
        await tally.check(iteration, seed, kill, async () => {
          for (const [path, digest] of Object.entries(fileDigests(at.current))) {
            if (
              path.startsWith("github-connect/") ||
              path.startsWith(".connect-ops-") ||
              /\.[0-9a-f]{12}\.new$/.test(path)
            )
              continue;
            expect([originalCurrent[path], redactedReference[path]], path).toContain(digest);
          }
          expect(fileDigests(at.older)).toEqual(originalOlder);
          const rerun = await runCli(cli.bin, redactArgs(at), at.env);
          expect(rerun.code, rerun.stderr).toBe(0);
          expect((await scanPath(at.current, { matcher })).findings).toEqual([]);
          for (const [path, digest] of Object.entries(fileDigests(at.current))) {
            if (
              !path.startsWith("github-connect/") &&
              !path.startsWith(".connect-ops-") &&
              !/\.[0-9a-f]{12}\.new$/.test(path)
            )
              expect(digest, path).toBe(redactedReference[path]);
          }
          expect(fileDigests(at.older)).toEqual(originalOlder);
          const left = tempFilesUnder(at.dir);
          expect(left, "work dirs or temp files left after the re-run").toEqual([]);
        });
        rmSync(at.dir, { recursive: true, force: true });
      });
    } finally {
      tally.record(
        "backup redact",
        [
          "each file original or fully redacted",
          "hard-linked older snapshot untouched",
          "re-run: no residue",
          "no temp file left",
        ],
        seed,
      );
    }
  }, 1_800_000);
});
