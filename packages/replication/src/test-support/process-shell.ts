import { spawn } from "node:child_process";
import type { RemoteShell, ShellResult } from "../remote-shell.js";

/** A RemoteShell over the local `sh`, so the node scripts run in unit tests without Docker. */
export function createProcessShell(): RemoteShell {
  return {
    run(script, stdin): Promise<ShellResult> {
      return new Promise((resolve, reject) => {
        const child = spawn("sh", ["-c", script], { stdio: ["pipe", "pipe", "pipe"] });
        const stdout: Buffer[] = [];
        const stderr: Buffer[] = [];
        child.stdout.on("data", (chunk: Buffer) => stdout.push(chunk));
        child.stderr.on("data", (chunk: Buffer) => stderr.push(chunk));
        child.stdin.on("error", () => undefined); // the script may exit before reading all input
        child.on("error", reject);
        child.on("close", (code) => resolve({ code, stdout: Buffer.concat(stdout), stderr: Buffer.concat(stderr) }));
        for (const chunk of stdin) child.stdin.write(chunk);
        child.stdin.end();
      });
    },
    [Symbol.asyncDispose]: () => Promise.resolve(),
  };
}
