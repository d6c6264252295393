import { spawn } from "node:child_process";
import { join } from "node:path";
import type { CliIO } from "../io.js";
import { main } from "../main.js";

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the CLI in-process with captured output (fast; same entry as the bin). */
export async function runCli(argv: readonly string[], overrides: Partial<CliIO> = {}): Promise<CliRun> {
  let stdout = "";
  let stderr = "";
  const io: CliIO = {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    env: {},
    isTTY: false,
    stdinIsTTY: false,
    cwd: process.cwd(),
    now: () => Date.now(),
    confirm: async () => false,
    ...overrides,
  };
  const code = await main(argv, io);
  return { code, stdout, stderr };
}

export const BIN = join(import.meta.dirname, "..", "..", "bin", "connect-ops.js");

/** Runs the built bin as a real child process (needs `npm run build`). */
export function runBin(argv: readonly string[], env: Record<string, string> = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...argv], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}
