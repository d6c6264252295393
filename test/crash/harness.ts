import { CredentialVault, readIdentityFile } from "@connect-ops/credential-vault";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { spawnCli, type CliRun } from "@connect-ops/test-support";
import { recordReliability, RELIABILITY_TIER } from "../support/reliability-table.js";

// The crash harness of issue 8: runs the real CLI as a child, SIGKILLs it at
// a named checkpoint (CONNECT_OPS_FAULT_CRASH_AT) or after a seeded random
// delay, and gives the invariant checks the pieces they need.

/** Iterations per command: RELIABILITY_CRASH_ITERATIONS, else the CI default (≥ 200, issue 8), doubled in the heavy tier. */
export function crashIterations(ciDefault: number): number {
  const given = Number(process.env.RELIABILITY_CRASH_ITERATIONS);
  if (Number.isInteger(given) && given > 0) return given;
  return RELIABILITY_TIER === "heavy" ? ciDefault * 2 : ciDefault;
}

/** A crash run: `killedByRunner` says whether our SIGKILL (not the process's own exit or crash hook) ended it. */
export type KilledRun = CliRun;

/** A hang guard only: no command of the suite takes this long on a loaded 2-core box. */
const HANG_GUARD_MS = 120_000;

/**
 * Runs `node bin ...argv`; with `killAfterMs`, sends SIGKILL after that delay
 * (a real timer: the randomized kill delay is the one sleep the suite allows).
 * The run lands in the test-support transcript for the leak canary, its /proc argv too.
 */
export function runCli(
  bin: string,
  argv: readonly string[],
  env: Record<string, string | undefined>,
  killAfterMs?: number,
  /** Sees each chunk of output (`killWhen`: true kills), e.g. to follow a URL the command prints. */
  watch?: (output: { readonly stdout: string; readonly stderr: string }) => boolean,
): Promise<KilledRun> {
  return spawnCli(argv, env, {
    bin,
    hangGuardMs: HANG_GUARD_MS,
    ...(killAfterMs === undefined ? {} : { killAfterMs }),
    ...(watch === undefined ? {} : { killWhen: watch }),
  });
}

/**
 * Runs `iterations` bodies on `lanes` concurrent lanes (each lane sequential,
 * so a lane can own a simulator). After the first failure no lane starts
 * another iteration, and all lanes settle before the failure is rethrown, so
 * nothing keeps running into the next test.
 */
export async function runLanes(
  iterations: number,
  lanes: number,
  body: (iteration: number, lane: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  let failed = false;
  const results = await Promise.allSettled(
    Array.from({ length: lanes }, async (_, lane) => {
      for (let iteration = next++; iteration < iterations && !failed; iteration = next++) {
        try {
          await body(iteration, lane);
        } catch (error) {
          failed = true;
          throw error;
        }
      }
    }),
  );
  const rejected = results.find((result) => result.status === "rejected");
  if (rejected !== undefined) throw rejected.reason;
}

/** Polls until the simulator has answered every request it received (a killed client's request still runs to its end there). */
export async function simIdle(sim: {
  counters(): { requests: number };
  requests(): readonly unknown[];
}): Promise<void> {
  for (let waited = 0; sim.counters().requests > sim.requests().length && waited < 30_000; waited += 20) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Names an interrupted write could leave: vault/journal temps, `.pending`, node temps, redaction's staged links and work dirs. */
const TEMP_PATTERNS = [/\.tmp-[0-9a-f]{12}$/, /\.pending$/, /^\.connect-ops-.*\.tmp$/, /\.[0-9a-f]{12}\.new$/];

/** Every leftover temp file under `root` (relative paths). */
export function tempFilesUnder(root: string): string[] {
  const found: string[] = [];
  const walk = (dir: string, prefix: string): void => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      const rel = prefix === "" ? entry.name : `${prefix}/${entry.name}`;
      if (entry.isDirectory() && /^\.connect-ops-/.test(entry.name)) found.push(`${rel}/`);
      else if (entry.isDirectory()) walk(join(dir, entry.name), rel);
      else if (TEMP_PATTERNS.some((pattern) => pattern.test(entry.name))) found.push(rel);
    }
  };
  walk(root, "");
  return found;
}

/** The state dir's vault as a reader sees it: its generation (null when empty), after opening the sealed file with the appliance identity. */
export async function openedGeneration(
  stateDir: string,
): Promise<{ generation: number | null; token?: string; pem?: string }> {
  const vault = new CredentialVault(join(stateDir, "vault"));
  const meta = await vault.readMeta();
  if (meta === undefined) return { generation: null };
  const identities = await readIdentityFile(join(stateDir, "age-identity.txt"));
  const { bundle } = await vault.open(identities);
  return {
    generation: meta.generation,
    pem: bundle.app.privateKeyPem,
    ...(bundle.token === undefined ? {} : { token: bundle.token.value }),
  };
}

/** Tally for one command's crash run, written to the reliability table. */
export class CrashTally {
  iterations = 0;
  killedMidRun = 0;
  finishedBeforeKill = 0;
  injectedPoints = 0;
  failures = 0;
  readonly failureNotes: string[] = [];
  /** Writes this command's row to the reliability table (a run's checkpoint kills are named only when it had some). */
  record(subject: string, invariants: string[], seed: number): void {
    const checkpoints = this.injectedPoints > 0 ? `${this.injectedPoints} at named checkpoints, ` : "";
    recordReliability({
      area: "crash (SIGKILL)",
      subject,
      cases: this.iterations,
      failures: this.failures,
      invariants,
      note: `${checkpoints}${this.killedMidRun} killed mid-run, ${this.finishedBeforeKill} finished before the kill; seed ${seed}`,
    });
  }

  /** Counts the kill, runs the checks; a failed check is counted, then rethrown. */
  async check(iteration: number, seed: number, kill: KilledRun, checks: () => Promise<void>): Promise<void> {
    this.iterations++;
    if (kill.signal === "SIGKILL" && !kill.killedByRunner) this.injectedPoints++;
    else if (kill.killedByRunner) this.killedMidRun++;
    else this.finishedBeforeKill++;
    try {
      await checks();
    } catch (error) {
      this.failures++;
      const note = `iteration ${iteration} (seed ${seed}): ${(error as Error).message.split("\n")[0]}`;
      this.failureNotes.push(note);
      throw new Error(note, { cause: error });
    }
  }
}
