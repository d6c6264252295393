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
    confirm: () => Promise.resolve(false),
    ...overrides,
  };
  const code = await main(argv, io);
  return { code, stdout, stderr };
}
