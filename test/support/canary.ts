import { execFileSync } from "node:child_process";
import { existsSync, lstatSync, readdirSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { afterAll, afterEach, beforeAll, expect } from "vitest";
import { cliTranscript as transcript, type CliRun } from "@connect-ops/test-support";
import { leakForms, runPlaces } from "./leaks.js";
import { recordReliability } from "./reliability-table.js";

// The leak canary of issue 8. Every secret a run issues (App private keys,
// installation tokens) is registered — by tests through `registerSecret`, and
// from the outside by decrypting, with the real age CLI, every vault found in
// the scratch dirs of the running test file. After each test it scans what the
// run printed (`transcript`), the argv of every child seen in /proc, and every
// file in the scratch dirs, for each secret in raw, base64 and JSON-escaped
// form (and single PEM body lines). A hit fails the test; the message names the
// place and the form's length, never the secret.

const secrets = new Map<string, string>();
const watchedDirs = new Set<string>();
const childArgv = new Map<string, string>();
const decrypted = new Map<string, string>();
let fileStartedAt = Date.now();
const stats = { checks: 0, placesScanned: 0, leaks: 0 };

/** Adds a secret the canary must never find outside a sealed file. */
export function registerSecret(name: string, value: string): void {
  if (value.length >= 16) secrets.set(`${name} #${secrets.size}`, value);
}

/** Adds a directory whose files (except age-sealed ones and planted fixtures) the canary scans. */
export function watchDir(path: string): void {
  watchedDirs.add(path);
}

/** Number of secrets the canary knows (for the reliability table). */
export function canarySecretCount(): number {
  return secrets.size;
}

export interface LeakHit {
  readonly secret: string;
  readonly place: string;
  readonly formLength: number;
}

/** Every (secret, place) pair where a form of the secret appears. Never returns secret bytes. */
export function findLeaks(
  places: Readonly<Record<string, string>>,
  known: Readonly<Record<string, string>> = Object.fromEntries(secrets),
): LeakHit[] {
  const hits: LeakHit[] = [];
  for (const [secret, value] of Object.entries(known)) {
    for (const form of leakForms(value)) {
      for (const [place, text] of Object.entries(places)) {
        if (text.includes(form)) hits.push({ secret, place, formLength: form.length });
      }
    }
  }
  return hits;
}

/**
 * Files a test wrote on purpose as residue (backup-utils snapshots, staging
 * trees for tar) are where the backup suites plant secrets; sealed files hold
 * them by design. Everything else the CLI or a test wrote must be clean.
 */
function plantedOrSealed(name: string): boolean {
  return (
    /^\d{8}T\d{6}$/.test(name) ||
    name === "stage" ||
    name.startsWith(".staging-") ||
    name.endsWith(".age") ||
    name === "node_modules"
  );
}

const MAX_FILE_BYTES = 16 * 1024 * 1024;

/** Text of every plain file under `root` that the canary should vouch for, keyed by path. */
export function scannablePlaces(root: string): Record<string, string> {
  const places: Record<string, string> = {};
  const walk = (dir: string, depth: number): void => {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return; // removed meanwhile, or not a directory
    }
    for (const name of names) {
      if (plantedOrSealed(name)) continue;
      const path = join(dir, name);
      try {
        const stats = lstatSync(path);
        if (stats.isDirectory() && depth < 12) walk(path, depth + 1);
        else if (stats.isFile() && stats.size <= MAX_FILE_BYTES) places[path] = readFileSync(path, "latin1");
      } catch {
        // a file removed while we walked: nothing left to leak
      }
    }
  };
  walk(root, 0);
  return places;
}

/** Decrypts every `<state>/vault/credentials.age` under `root` with its `age-identity.txt` (real age CLI) and registers what it holds. */
export function harvestVaultSecrets(root: string): void {
  const walk = (dir: string, depth: number): void => {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return;
    }
    if (names.includes("age-identity.txt") && names.includes("vault")) harvestState(dir);
    for (const name of names) {
      if (depth >= 6 || plantedOrSealed(name) || name === "vault") continue;
      const path = join(dir, name);
      try {
        if (lstatSync(path).isDirectory()) walk(path, depth + 1);
      } catch {
        // gone meanwhile
      }
    }
  };
  walk(root, 0);
}

function harvestState(stateDir: string): void {
  const sealed = join(stateDir, "vault", "credentials.age");
  try {
    const stats = statSync(sealed);
    const key = `${stats.ino}:${stats.size}:${stats.mtimeMs}`;
    if (decrypted.get(sealed) === key) return;
    decrypted.set(sealed, key);
    const plaintext = execFileSync("age", ["-d", "-i", join(stateDir, "age-identity.txt"), sealed], {
      stdio: ["ignore", "pipe", "ignore"],
    });
    const bundle = JSON.parse(plaintext.toString()) as { app?: { privateKeyPem?: string }; token?: { value?: string } };
    if (bundle.app?.privateKeyPem !== undefined && ![...secrets.values()].includes(bundle.app.privateKeyPem))
      registerSecret("App private key", bundle.app.privateKeyPem);
    if (bundle.token?.value !== undefined && ![...secrets.values()].includes(bundle.token.value))
      registerSecret("installation token", bundle.token.value);
  } catch {
    // no vault yet, a vault being rewritten, or a test's deliberately damaged one
  }
}

/** Scratch dirs of the e2e suites (`testdirSync({ prefix: "e2e-…" })`: `<tmp>/e2e-*`) created since this test file started. */
function discoverScratchDirs(): void {
  for (const name of readdirSync(tmpdir())) {
    if (!name.startsWith("e2e-") || name.startsWith("e2e-cli-")) continue;
    const path = join(tmpdir(), name);
    try {
      if (statSync(path).birthtimeMs >= fileStartedAt - 1000) watchedDirs.add(path);
    } catch {
      // removed meanwhile
    }
  }
}

/** Argv of this worker's descendants (the CLI and what it spawns), sampled from /proc. */
function sampleChildArgv(): void {
  if (!existsSync("/proc/self/stat")) return;
  const parents = new Map<number, number>();
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "latin1");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      parents.set(Number(name), Number(fields[1]));
    } catch {
      // exited meanwhile
    }
  }
  for (const [pid] of parents) {
    let ancestor = parents.get(pid);
    for (let hops = 0; ancestor !== undefined && hops < 8; hops++) {
      if (ancestor === process.pid) {
        try {
          const argv = readFileSync(`/proc/${pid}/cmdline`, "latin1").split("\0").join(" ");
          if (argv !== "") childArgv.set(`pid ${pid} (${basename(argv.split(" ")[0] ?? "")})`, argv);
        } catch {
          // exited meanwhile
        }
        break;
      }
      ancestor = parents.get(ancestor);
    }
  }
}

/**
 * Scans an append-only list of runs, child argv and other places for an
 * append-only list of secrets, remembering what it has scanned: a run already
 * scanned is scanned again only for secrets issued since, so a file with
 * thousands of runs (the crash harness) does not pay for its whole transcript
 * at every check. Places in `other` (files, which change) are scanned whole.
 */
export class IncrementalLeakScan {
  #runs = 0;
  #secrets = 0;
  readonly #argv = new Set<string>();

  scan(
    runs: readonly CliRun[],
    argv: ReadonlyMap<string, string>,
    other: Readonly<Record<string, string>>,
    known: ReadonlyMap<string, string>,
  ): { hits: LeakHit[]; placesScanned: number } {
    const seen = Math.min(this.#runs, runs.length);
    const fresh = { ...runPlaces(runs, seen), ...other };
    const earlier = runPlaces(runs, 0, seen);
    for (const [pid, line] of argv)
      (this.#argv.has(`${pid}\0${line}`) ? earlier : fresh)[`/proc/${pid}/cmdline`] = line;
    const all = Object.fromEntries(known);
    const added = Object.fromEntries([...known].slice(this.#secrets));
    const rescan = Object.keys(added).length > 0;
    const hits = [...findLeaks(fresh, all), ...(rescan ? findLeaks(earlier, added) : [])];
    this.#runs = runs.length;
    this.#secrets = known.size;
    for (const [pid, line] of argv) this.#argv.add(`${pid}\0${line}`);
    return { hits, placesScanned: Object.keys(fresh).length + (rescan ? Object.keys(earlier).length : 0) };
  }
}

const fileScan = new IncrementalLeakScan();

/** Throws naming every leak found now in the transcript, sampled child argv and the watched dirs. */
export function checkForLeaks(extraDirs: readonly string[] = []): void {
  discoverScratchDirs();
  const dirs = [...watchedDirs, ...extraDirs];
  for (const dir of dirs) harvestVaultSecrets(dir);
  if (secrets.size === 0) return;
  const files: Record<string, string> = {};
  for (const dir of dirs) Object.assign(files, scannablePlaces(dir));
  const { hits, placesScanned } = fileScan.scan(transcript, childArgv, files, secrets);
  stats.checks++;
  stats.placesScanned += placesScanned;
  if (hits.length > 0) {
    stats.leaks += hits.length;
    const lines = hits.slice(0, 10).map((hit) => `${hit.secret} in ${hit.place} (form of ${hit.formLength} chars)`);
    throw new Error(`leak canary: ${hits.length} leak(s) of issued credentials\n${lines.join("\n")}`);
  }
}

let installed = false;

/** Hooks the canary into the current test file (vitest `setupFiles`). */
export function installLeakCanary(): void {
  if (installed) return;
  installed = true;
  let sampler: NodeJS.Timeout | undefined;
  beforeAll(() => {
    fileStartedAt = Date.now();
    sampler = setInterval(sampleChildArgv, 100);
    sampler.unref();
  });
  afterEach(() => {
    sampleChildArgv();
    checkForLeaks();
  });
  afterAll(() => {
    if (sampler !== undefined) clearInterval(sampler);
    const file = basename(expect.getState().testPath ?? "unknown");
    if (secrets.size === 0) return; // a file that issues no credentials has nothing to leak
    recordReliability({
      area: "leak canary",
      subject: file,
      cases: stats.placesScanned,
      failures: stats.leaks,
      invariants: [
        "no issued secret (raw, base64, JSON-escaped, PEM line) in stdout/stderr, child argv, scratch files",
      ],
      note: `${secrets.size} issued secrets watched over ${stats.checks} checks`,
    });
  });
}

// Listed in test/vitest.config.ts `setupFiles`: loading this module there installs the hooks.
if (process.env.VITEST !== undefined) installLeakCanary();
