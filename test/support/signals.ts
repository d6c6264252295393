import { spawn } from "node:child_process";

/** The signals an operator's shell or a service manager sends, with the exit code our handler answers each with. */
export const STOP_SIGNALS = [
  ["SIGINT", 130],
  ["SIGTERM", 143],
  ["SIGHUP", 129],
] as const;

/** Runs the CLI at `bin` with `env` over this process's and TMPDIR=`tmp`, sends `signal` after `delayMs`, resolves with how it ended. */
export function interruptedCli(
  bin: string,
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  tmp: string,
  signal: NodeJS.Signals,
  delayMs: number,
): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...argv], {
      env: { ...process.env, ...env, TMPDIR: tmp, NO_COLOR: "1" },
      stdio: "ignore",
    });
    const timer = setTimeout(() => child.kill(signal), delayMs);
    child.once("error", reject);
    child.once("exit", (code, ended) => {
      clearTimeout(timer);
      resolve({ code, signal: ended });
    });
  });
}
