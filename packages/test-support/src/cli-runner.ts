import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";

/**
 * The CLI package, found by path: test-support may not depend on cli (cli's
 * own tests use it), and a child process runs the built bin anyway. The same
 * two levels up hold from src/ (source condition) and from dist/.
 */
export const CLI_DIR = join(import.meta.dirname, "..", "..", "cli");

/** The built `connect-ops` bin (needs the cli build: its bundle under dist/bundle). */
export const CLI_BIN = join(CLI_DIR, "bin", "connect-ops.js");

export interface CliRun {
  /** The exit code; null when a signal ended it. */
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly argv: readonly string[];
  /** The child's argv as /proc showed it just after the spawn ("" when it had exited or there is no /proc), for leak scans. */
  readonly procArgv: string;
  /** Whether the runner's SIGKILL (`killAfterMs`, `killWhen`; not the process's own exit or crash hook) ended it. */
  readonly killedByRunner: boolean;
  readonly durationMs: number;
}

/** Added to this process's env (plus NO_COLOR=1); an undefined value removes the variable. */
export type CliEnv = Readonly<Record<string, string | undefined>>;

export interface SpawnCliOptions {
  /** Written to the child's stdin, then closed; without it stdin is /dev/null. */
  readonly stdin?: string | Uint8Array;
  readonly cwd?: string;
  /** Another bin to run with this node, such as a `snapshotCli()` copy (default `CLI_BIN`). */
  readonly bin?: string;
  /** An executable to run as it is, instead of `node bin` (a release artifact: the single executable, an installed bin). */
  readonly executable?: string;
  /** False: the child's env is exactly `env`, nothing inherited and no NO_COLOR added (an empty host). Default true. */
  readonly inheritEnv?: boolean;
  /** SIGKILL the child after this delay (a real timer: the crash harness's randomized kill). */
  readonly killAfterMs?: number;
  /** SIGKILL the child once this says so, asked after each chunk of output (e.g. the n-th "node replicated" log line). */
  readonly killWhen?: (output: { readonly stdout: string; readonly stderr: string }) => boolean;
  /** Rejects, after a SIGKILL, when the child runs this long: a hang guard for suites of thousands of runs. */
  readonly hangGuardMs?: number;
}

/** Every run this process spawned, with its output and argv, for the leak canary of test/. */
export const cliTranscript: CliRun[] = [];

function withoutUndefined(env: CliEnv): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined));
}

/**
 * Runs the built CLI as a child process (never a TTY) and resolves with what
 * it printed and how it ended; a non-zero exit is a result, not an error.
 * Rejects when the process cannot be spawned or the hang guard fires.
 */
export function spawnCli(argv: readonly string[], env: CliEnv = {}, options: SpawnCliOptions = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const [file, args] =
      options.executable === undefined
        ? [process.execPath, [options.bin ?? CLI_BIN, ...argv]]
        : [options.executable, [...argv]];
    const child = spawn(file, args, {
      env: withoutUndefined(options.inheritEnv === false ? env : { ...process.env, NO_COLOR: "1", ...env }),
      cwd: options.cwd,
      stdio: [options.stdin === undefined ? "ignore" : "pipe", "pipe", "pipe"],
    });
    let procArgv = "";
    try {
      procArgv = readFileSync(`/proc/${child.pid}/cmdline`, "latin1").split("\0").join(" ").trim();
    } catch {
      // exited already, or no /proc: nothing to scan
    }
    let stdout = "";
    let stderr = "";
    let killedByRunner = false;
    let hung = false;
    const killer =
      options.killAfterMs === undefined
        ? undefined
        : setTimeout(() => (killedByRunner = child.kill("SIGKILL")), options.killAfterMs);
    const guard =
      options.hangGuardMs === undefined
        ? undefined
        : setTimeout(() => (hung = child.kill("SIGKILL")), options.hangGuardMs);
    const output = (append: (text: string) => void) => (chunk: Buffer) => {
      append(chunk.toString());
      if (!killedByRunner && options.killWhen?.({ stdout, stderr }) === true) killedByRunner = child.kill("SIGKILL");
    };
    child.stdout?.on(
      "data",
      output((text) => (stdout += text)),
    );
    child.stderr?.on(
      "data",
      output((text) => (stderr += text)),
    );
    if (options.stdin !== undefined) child.stdin?.end(options.stdin);
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(killer);
      clearTimeout(guard);
      const run: CliRun = {
        code,
        signal,
        stdout,
        stderr,
        argv: [...argv],
        procArgv,
        killedByRunner,
        durationMs: performance.now() - started,
      };
      cliTranscript.push(run);
      if (hung) reject(new Error(`connect-ops ${argv.join(" ")} hung for ${options.hangGuardMs} ms and was killed`));
      else resolve(run);
    });
  });
}
