import { spawn } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { transcript, type CliRun } from "./cli.js";

const CLI_DIR = join(import.meta.dirname, "..", "..", "packages", "cli");
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

/**
 * A private copy of the built CLI (bin + bundle), for long suites; with
 * `testHooks`, the copy's bin loads the test bundle (dist/test-bundle: the
 * production bundle compiles the CONNECT_OPS_FAULT_CRASH_AT hook out): every e2e
 * run swaps a fresh bundle into the shared `packages/cli/dist` when it starts
 * (test/support/global-setup.ts), and after a code change the old chunk names
 * are gone — a child of a suite already running beside it that loads a lazy
 * chunk late would fail. Dependencies kept external (ssh2) resolve through a
 * `node_modules` link to the workspace's.
 */
export async function snapshotCli(options: { testHooks?: boolean } = {}): Promise<{
  run(argv: readonly string[], env?: Record<string, string | undefined>): Promise<CliRun>;
  readonly bin: string;
  [Symbol.dispose](): void;
}> {
  const dir = mkdtempSync(join(tmpdir(), "e2e-cli-"));
  const built = options.testHooks === true ? "test-bundle" : "bundle";
  for (let attempt = 0; ; attempt++) {
    rmSync(join(dir, "dist"), { recursive: true, force: true });
    try {
      cpSync(join(CLI_DIR, "dist", built), join(dir, "dist", "bundle"), { recursive: true });
      if (bundleComplete(join(dir, "dist", "bundle"))) break;
    } catch {
      // a rebuild removed files while we copied: try again
    }
    if (attempt >= 60) throw new Error(`packages/cli/dist/${built} never became complete; build it with rolldown first`);
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  cpSync(join(CLI_DIR, "bin"), join(dir, "bin"), { recursive: true });
  cpSync(join(CLI_DIR, "package.json"), join(dir, "package.json"));
  symlinkSync(ROOT_MODULES, join(dir, "node_modules"));
  const bin = join(dir, "bin", "connect-ops.js");
  return {
    bin,
    run: (argv, env = {}) =>
      new Promise((resolve, reject) => {
        const child = spawn(process.execPath, [bin, ...argv], { env: { ...process.env, NO_COLOR: "1", ...env }, stdio: ["ignore", "pipe", "pipe"] });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
        child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
        child.on("error", reject);
        child.on("close", (code, signal) => {
          const result = { code, signal, stdout, stderr, argv: [...argv] };
          transcript.push(result);
          resolve(result);
        });
      }),
    [Symbol.dispose]: () => rmSync(dir, { recursive: true, force: true }),
  };
}
