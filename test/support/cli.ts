import { spawn } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const BIN = join(import.meta.dirname, "..", "..", "packages", "cli", "bin", "connect-ops.js");

export interface CliRun {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly argv: readonly string[];
}

/** Everything a run printed, and every argv it was given, for leak scans. */
export const transcript: CliRun[] = [];

/** Runs the built `connect-ops` as a child process (never a TTY). */
export function connectOps(argv: readonly string[], env: Record<string, string | undefined> = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...argv], {
      env: { ...process.env, NO_COLOR: "1", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code, signal) => {
      const run = { code, signal, stdout, stderr, argv: [...argv] };
      transcript.push(run);
      resolve(run);
    });
  });
}

/** A scratch directory removed by the returned disposer. */
export function scratchDir(prefix: string): { path: string; [Symbol.dispose](): void } {
  const path = mkdtempSync(join(tmpdir(), `${prefix}-`));
  return { path, [Symbol.dispose]: () => rmSync(path, { recursive: true, force: true }) };
}

/** A license file like GHES's: JSON with customer_name and a PEM public key. */
export function writeLicense(dir: string, customerName = "Acme Corp"): string {
  const { publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const path = join(dir, "license.json");
  writeFileSync(path, JSON.stringify({ customer_name: customerName, public_key: publicKey.export({ type: "spki", format: "pem" }) }));
  return path;
}
