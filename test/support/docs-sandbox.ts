import { startGitHubSim, type GitHubSim } from "@connect-ops/github-sim";
import { execFileSync, spawn } from "node:child_process";
import { chmodSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { CLI_BIN, testdirSync, writeLicense } from "@connect-ops/test-support";

/**
 * The sandbox in which ```sh sandbox blocks run (docs/index.md): the GitHub
 * API simulator, an uninitialised state dir, three `local` nodes, a
 * backup-utils data dir and a backup key. Relative paths in the docs resolve
 * here; the block sees $CLOUD_URL and $BACKUP_RECIPIENT.
 *
 *   license.json  inventory.json  nodes/{replica-1,cluster-1,cluster-2}/
 *   backup-data/{20261123T020000,20261124T020000,current → 20261124T020000}
 *   backup-identity.txt  state/ (CONNECT_OPS_STATE_DIR)
 */
export interface DocSandbox extends AsyncDisposable {
  readonly dir: string;
  readonly env: Record<string, string>;
  readonly sim: GitHubSim;
}

export async function createDocSandbox(): Promise<DocSandbox> {
  const scratch = testdirSync({ prefix: "docs-sandbox-" });
  const dir = scratch.path;
  const sim = await startGitHubSim();
  writeLicense(dir, "Acme Corp");
  const nodes = [
    { name: "replica-1", role: "replica" },
    { name: "cluster-1", role: "cluster" },
    { name: "cluster-2", role: "cluster" },
  ].map((node) => ({ ...node, transport: "local", path: `nodes/${node.name}` }));
  writeFileSync(join(dir, "inventory.json"), `${JSON.stringify({ nodes }, null, 2)}\n`);
  mkdirSync(join(dir, "nodes"), { mode: 0o700 });
  for (const snapshot of ["20261123T020000", "20261124T020000"]) {
    const path = join(dir, "backup-data", snapshot);
    mkdirSync(path, { recursive: true });
    writeFileSync(join(path, "version"), "v3.14.2\n");
    writeFileSync(join(path, "settings.json"), `${JSON.stringify({ hostname: "ghes.example.com" })}\n`);
    writeFileSync(join(path, "mysql.sql.gz"), gzipSync("INSERT INTO settings VALUES ('x','y');\n"));
  }
  symlinkSync("20261124T020000", join(dir, "backup-data", "current"));
  execFileSync("age-keygen", ["-o", join(dir, "backup-identity.txt")], { stdio: "ignore" });
  const recipient = execFileSync("age-keygen", ["-y", join(dir, "backup-identity.txt")])
    .toString()
    .trim();
  // `connect-ops` on PATH is the built bin, exactly what `npm ci` installs.
  const bin = join(dir, ".bin");
  mkdirSync(bin);
  writeFileSync(join(bin, "connect-ops"), `#!/bin/sh\nexec "${process.execPath}" "${CLI_BIN}" "$@"\n`);
  chmodSync(join(bin, "connect-ops"), 0o755);
  const env = {
    PATH: `${bin}:${process.env.PATH ?? ""}`,
    HOME: dir,
    // What a command leaves in the temp dir (the demo's signed report) goes with the sandbox.
    TMPDIR: dir,
    LANG: "C.UTF-8",
    NO_COLOR: "1",
    CONNECT_OPS_STATE_DIR: join(dir, "state"),
    CONNECT_OPS_CLOUD_TOKEN: sim.createAdminToken(),
    CLOUD_URL: sim.url,
    BACKUP_RECIPIENT: recipient,
  };
  return {
    dir,
    env,
    sim,
    async [Symbol.asyncDispose]() {
      await sim.close();
      await scratch[Symbol.asyncDispose]();
    },
  };
}

export interface ShellRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs one documented shell line with bash in the sandbox (never a TTY). */
export function runDocLine(sandbox: DocSandbox, line: string): Promise<ShellRun> {
  return new Promise((resolve, reject) => {
    const child = spawn("bash", ["-c", line], {
      cwd: sandbox.dir,
      env: sandbox.env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/** The exit code a documented line expects: `# exit N` at its end, else 0. */
export function expectedExit(line: string): number {
  const match = /#\s*exit\s+(\d+)\s*$/.exec(line);
  return match ? Number(match[1]) : 0;
}

/**
 * Where `actual` has a shape `documented` lacks, or the reverse: object keys
 * compared recursively, arrays by their first element, values ignored (ids,
 * times and paths differ from run to run). Returns the JSON paths that differ.
 */
export function shapeDifferences(documented: unknown, actual: unknown, path = "$"): string[] {
  if (documented === null || actual === null || typeof documented !== "object" || typeof actual !== "object") return [];
  if (Array.isArray(documented) !== Array.isArray(actual)) return [`${path}: array in one, object in the other`];
  if (Array.isArray(documented) && Array.isArray(actual)) {
    return documented.length > 0 && actual.length > 0 ? shapeDifferences(documented[0], actual[0], `${path}[0]`) : [];
  }
  const left = documented as Record<string, unknown>;
  const right = actual as Record<string, unknown>;
  const differences: string[] = [];
  for (const key of Object.keys(right)) if (!(key in left)) differences.push(`${path}.${key}: printed, not documented`);
  for (const key of Object.keys(left)) {
    if (!(key in right)) differences.push(`${path}.${key}: documented, not printed`);
    else differences.push(...shapeDifferences(left[key], right[key], `${path}.${key}`));
  }
  return differences;
}
