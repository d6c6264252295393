import { spawn } from "node:child_process";
import { createReplier, type RemoteShell, type ShellReply, type ShellResult } from "../remote-shell.js";

/** A RemoteShell over the local `sh`, so the node scripts run in unit tests without Docker. */
export function createProcessShell(): RemoteShell {
  const run = (script: string, stdin: readonly Uint8Array[] | ShellReply): Promise<ShellResult> =>
    new Promise((resolve, reject) => {
      const child = spawn("sh", ["-c", script], { stdio: ["pipe", "pipe", "pipe"] });
      const stdout: Buffer[] = [];
      const stderr: Buffer[] = [];
      const send = (chunks: readonly Uint8Array[]): void => {
        for (const chunk of chunks) child.stdin.write(chunk);
        child.stdin.end();
      };
      const replier = "marker" in stdin ? createReplier(stdin, send) : undefined;
      child.stdout.on("data", (chunk: Buffer) => {
        stdout.push(chunk);
        replier?.onStdout(stdout);
      });
      child.stderr.on("data", (chunk: Buffer) => stderr.push(chunk));
      child.stdin.on("error", () => undefined); // the script may exit before reading all input
      child.on("error", reject);
      child.on("close", (code) => {
        const failure = replier?.failure();
        if (failure !== undefined) reject(failure);
        else resolve({ code, stdout: Buffer.concat(stdout), stderr: Buffer.concat(stderr) });
      });
      if (replier === undefined) send(stdin as readonly Uint8Array[]);
    });
  return {
    run: (script, stdin) => run(script, stdin),
    converse: (script, reply) => run(script, reply),
    [Symbol.asyncDispose]: () => Promise.resolve(),
  };
}
