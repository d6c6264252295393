import { cpSync, existsSync, readdirSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { CLI_DIR, spawnCli, type CliEnv, type CliRun, type SpawnCliOptions } from "./cli-runner.js";
import { testdirSync } from "./testdir.js";

const ROOT_MODULES = join(CLI_DIR, "..", "..", "node_modules");

/** True when every chunk a bundle file imports is present (a copy taken mid-rebuild is not). */
function bundleComplete(bundleDir: string): boolean {
  if (!existsSync(join(bundleDir, "main.mjs"))) return false;
  const files = readdirSync(bundleDir, { recursive: true, encoding: "utf8" }).filter((file) => file.endsWith(".mjs"));
  for (const file of files) {
    for (const match of readFileSync(join(bundleDir, file), "utf8").matchAll(/chunks\/[\w.-]+\.mjs/g)) {
      if (!existsSync(join(bundleDir, match[0]))) return false;
    }
  }
  return true;
}

/** A private copy of the built CLI; `run` is `spawnCli` with this copy's bin. */
export interface CliSnapshot extends Disposable, AsyncDisposable {
  readonly bin: string;
  run(argv: readonly string[], env?: CliEnv, options?: Omit<SpawnCliOptions, "bin">): Promise<CliRun>;
}

export interface SnapshotCliOptions {
  /** How long to wait between copy attempts while a rebuild runs (default 1 s; 60 attempts at most). */
  readonly retryDelayMs?: number;
  /** The cli package to copy (default the workspace's `packages/cli`). */
  readonly cliDir?: string;
  /**
   * Copy the test bundle (`dist/test-bundle`) in place of the production one:
   * the production bundle compiles the CONNECT_OPS_FAULT_CRASH_AT hook out, so
   * crash runs need this copy.
   */
  readonly testHooks?: boolean;
}

/**
 * A private copy of the built CLI (bin + bundle), for long suites: every e2e
 * run swaps a fresh bundle into the shared `packages/cli/dist` when it starts
 * (test/support/global-setup.ts), and after a code change the old chunk names
 * are gone — a child of a suite already running beside it that loads a lazy
 * chunk late would fail. Dependencies kept external (ssh2) resolve through a
 * `node_modules` link to the workspace's. Throws when the bundle never becomes
 * complete (build it with rolldown first).
 */
export async function snapshotCli(options: SnapshotCliOptions = {}): Promise<CliSnapshot> {
  const cliDir = options.cliDir ?? CLI_DIR;
  const dir = testdirSync({ prefix: "e2e-cli-" });
  const built = options.testHooks === true ? "test-bundle" : "bundle";
  try {
    for (let attempt = 0; ; attempt++) {
      rmSync(dir.join("dist"), { recursive: true, force: true });
      try {
        cpSync(join(cliDir, "dist", built), dir.join("dist", "bundle"), { recursive: true });
        if (bundleComplete(dir.join("dist", "bundle"))) break;
      } catch {
        // a rebuild removed files while we copied: try again
      }
      if (attempt >= 60)
        throw new Error(`${cliDir}/dist/${built} never became complete; build the cli (rolldown) first`);
      await new Promise((resolve) => setTimeout(resolve, options.retryDelayMs ?? 1000));
    }
    cpSync(join(cliDir, "bin"), dir.join("bin"), { recursive: true });
    cpSync(join(cliDir, "package.json"), dir.join("package.json"));
    symlinkSync(ROOT_MODULES, dir.join("node_modules"));
  } catch (error) {
    dir[Symbol.dispose]();
    throw error;
  }
  const bin = dir.join("bin", "connect-ops.js");
  return {
    bin,
    run: (argv, env = {}, runOptions = {}) => spawnCli(argv, env, { ...runOptions, bin }),
    [Symbol.dispose]: () => dir[Symbol.dispose](),
    [Symbol.asyncDispose]: () => dir[Symbol.asyncDispose](),
  };
}
