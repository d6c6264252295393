import { startGitHubSim, type GitHubSim } from "@connect-ops/github-sim";
import { CLI_BIN, connectedAppliance, spawnCli, testdirSync, type Appliance } from "@connect-ops/test-support";
import { randomBytes, randomInt } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { interruptedCli, STOP_SIGNALS } from "./support/signals.js";

// Issue 13 item 5: SIGINT, SIGTERM and SIGHUP at random instants of `backup redact`, `backup scan`
// and `verify-cleanup` (local snapshot) leave no temporary file in the snapshot, the state dir,
// $TMPDIR or /dev/shm; the run exits 130, 143 or 129 (or had finished first, or had not yet
// loaded the CLI: then no temp existed).

const scratch = testdirSync({ prefix: "e2e-signals-" });
let sim: GitHubSim;
let appliance: Appliance;
const ROUNDS = 6;

/** A large dump holding the key in its middle: redact inflates and rewrites it for a while. */
function plantDump(): void {
  const filler = Buffer.from(randomBytes(6 * 1024 * 1024).toString("base64"));
  const half = filler.length / 2;
  const dump = Buffer.concat([
    filler.subarray(0, half),
    Buffer.from(`\nINSERT INTO t VALUES ('${appliance.secrets.pem.replace(/\n/g, "\\n")}');\n`),
    filler.subarray(half),
  ]);
  writeFileSync(join(appliance.current, "mysql.sql.gz"), gzipSync(dump, { level: 1 }));
}

beforeAll(async () => {
  sim = await startGitHubSim();
  appliance = await connectedAppliance({ dir: join(scratch.path, "appliance"), cloud: sim, connectOps: spawnCli });
});
afterAll(async () => {
  await sim.close();
  scratch[Symbol.dispose]();
});

/** Every path under `dir` whose name is one of our temp names. */
function tempsUnder(dir: string): string[] {
  const found: string[] = [];
  const walk = (path: string): void => {
    for (const entry of readdirSync(path, { withFileTypes: true })) {
      const child = join(path, entry.name);
      if (/^\.connect-ops-redact-|\.tmp-[0-9a-f]{12}$|\.[0-9a-f]{12}\.new$/.test(entry.name)) found.push(child);
      if (entry.isDirectory()) walk(child);
    }
  };
  if (existsSync(dir)) walk(dir);
  return found;
}

function shmTemps(): string[] {
  return existsSync("/dev/shm") ? readdirSync("/dev/shm").filter((name) => name.startsWith("connect-ops")) : [];
}

const COMMANDS: ReadonlyArray<readonly [string, () => string[]]> = [
  ["backup redact", () => ["backup", "redact", appliance.current]],
  ["backup scan", () => ["backup", "scan", appliance.current]],
  ["verify-cleanup", () => ["verify-cleanup", "--data-dir", appliance.dataDir]],
];

describe("signals leave no temporary file", () => {
  for (const [name, argv] of COMMANDS)
    it(`${name}: SIGINT, SIGTERM and SIGHUP at random instants`, async () => {
      // One uninterrupted run sets the range the instants are drawn from (a bound, not an assertion).
      plantDump();
      const started = performance.now();
      await spawnCli(argv(), appliance.env);
      const span = Math.max(50, Math.round(performance.now() - started));
      const ended: string[] = [];
      for (let round = 0; round < ROUNDS; round += 1) {
        plantDump();
        const [signal, exitCode] = STOP_SIGNALS[round % STOP_SIGNALS.length] ?? STOP_SIGNALS[0];
        const tmp = join(scratch.path, "tmp", `${name.replace(/ /g, "-")}-${round}`);
        mkdirSync(tmp, { recursive: true });
        const run = await interruptedCli(CLI_BIN, argv(), appliance.env, tmp, signal, randomInt(0, span));
        ended.push(run.signal ?? String(run.code));
        // Exits 130/143/129 from our handler; a signal before the CLI loaded ends it by the signal; a run done first exits 0, 1 or 3.
        expect([exitCode, 0, 1, 3].includes(run.code ?? -1) || run.signal === signal, JSON.stringify(run)).toBe(true);
        expect(tempsUnder(appliance.current), `${signal} round ${round}`).toEqual([]);
        expect(tempsUnder(appliance.stateDir), `${signal} round ${round}`).toEqual([]);
        expect(readdirSync(tmp), `${signal} round ${round}`).toEqual([]);
        expect(shmTemps()).toEqual([]);
      }
      // At least one run was really interrupted by our handler (else the test proved nothing).
      expect(
        ended.some((end) => ["130", "143", "129"].includes(end)),
        ended.join(","),
      ).toBe(true);
    });
});
