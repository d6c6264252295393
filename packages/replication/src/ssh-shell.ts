import { abortReason } from "@connect-ops/connection-core";
import type { Duplex } from "node:stream";
import type { Client, ClientChannel } from "ssh2";
import { ReplicationError, sanitizeRemoteText } from "./errors.js";
import { connectSshClient, endSshClient, type SshConnectOptions, type SshNodeAddress } from "./ssh-connect.js";
import { shellQuote } from "./shell-quote.js";
import { createReplier, type RemoteShell, type ShellReply, type ShellResult } from "./remote-shell.js";

export type { SshNodeAddress } from "./ssh-connect.js";

export interface OpenSshShellOptions extends SshConnectOptions {
  /** Run every script through `sudo -n` (GHES: /data/user/common is root's). */
  readonly sudo?: boolean;
  /** A channel to the node forwarded by its jump host; TCP to `host:port` when absent. */
  readonly sock?: Duplex;
}

// Output bounds: a node is untrusted and must not make us buffer without limit.
const MAX_STDOUT = 2 * 1024 * 1024;
const MAX_STDERR = 64 * 1024;

/**
 * Opens one SSH connection to a node and returns it as a `RemoteShell`: every
 * step of a push runs as its own exec channel on this connection, so a node
 * costs one handshake. The host key is checked by `verifier` before auth.
 * Throws `REPL_HOST_KEY_*`, `REPL_AUTH_FAILED`, `REPL_UNREACHABLE`, `REPL_TIMEOUT`;
 * a step run with `sudo` that sudo refuses throws `REPL_SUDO_PASSWORD_REQUIRED`.
 */
export async function openSshShell(node: SshNodeAddress, options: OpenSshShellOptions): Promise<RemoteShell> {
  const client = await connectSshClient(node, options, options.sock);
  let closed = false;
  client.on("close", () => {
    closed = true;
  });
  const sudo = options.sudo === true;
  return {
    run: (script, stdin, signal) => runScript(client, node, sudo, script, stdin, signal, () => closed),
    converse: (script, reply, signal) => runScript(client, node, sudo, script, reply, signal, () => closed),
    [Symbol.asyncDispose]: async () => {
      if (!closed) await endSshClient(client);
    },
  };
}

/** sudo -n exits 1 with a `sudo: …` line on stderr when it would ask for a password or is not allowed; the script never ran. */
function sudoRefusal(node: SshNodeAddress, result: ShellResult): ReplicationError | undefined {
  const text = result.stderr.toString("utf8");
  if (result.code !== 1 || !text.startsWith("sudo:")) return undefined;
  const detail = sanitizeRemoteText(text);
  return new ReplicationError(
    "REPL_SUDO_PASSWORD_REQUIRED",
    `node ${node.name}: sudo -n refused to run the node script as root for ${node.user} (${detail}); nothing was written`,
    {
      category: "input",
      hint: `give ${node.user} passwordless sudo on ${node.name} (GHES admin has it), or set "sudo": false for a user that owns the path`,
      context: { node: node.name, host: node.host, port: node.port, user: node.user },
    },
  );
}

function runScript(
  client: Client,
  node: SshNodeAddress,
  sudo: boolean,
  script: string,
  stdin: readonly Uint8Array[] | ShellReply,
  signal: AbortSignal | undefined,
  isClosed: () => boolean,
): Promise<ShellResult> {
  const lost = (cause?: unknown): ReplicationError =>
    new ReplicationError("REPL_CONNECTION_LOST", `the SSH connection to node ${node.name} dropped during a step`, {
      category: "incomplete",
      hint: "re-run: the push is idempotent and the node keeps the old or the new pair",
      context: { node: node.name, host: node.host, port: node.port },
      cause,
    });
  return new Promise<ShellResult>((resolve, reject) => {
    if (signal?.aborted) {
      reject(abortReason(signal));
      return;
    }
    const onAbort = (): void => {
      // Tearing the connection down is the only way to stop a step on a frozen node.
      client.destroy();
      if (signal !== undefined) reject(abortReason(signal));
    };
    signal?.addEventListener("abort", onAbort, { once: true });
    client.exec(
      `${sudo ? "sudo -n " : ""}sh -c ${shellQuote(script)}`,
      (error: Error | undefined, stream: ClientChannel) => {
        if (error !== undefined) {
          signal?.removeEventListener("abort", onAbort);
          reject(lost(error));
          return;
        }
        const stdout: Buffer[] = [];
        const stderr: Buffer[] = [];
        let stdoutBytes = 0;
        let stderrBytes = 0;
        let code: number | null = null;
        const send = (chunks: readonly Uint8Array[]): void => {
          for (const chunk of chunks) stream.write(chunk);
          stream.end();
        };
        const replier = "marker" in stdin ? createReplier(stdin, send) : undefined;
        stream.on("data", (chunk: Buffer) => {
          stdoutBytes += chunk.length;
          if (stdoutBytes <= MAX_STDOUT) stdout.push(chunk);
          replier?.onStdout(stdout, stdoutBytes > MAX_STDOUT);
        });
        stream.stderr.on("data", (chunk: Buffer) => {
          stderrBytes += chunk.length;
          if (stderrBytes <= MAX_STDERR) stderr.push(chunk);
        });
        stream.on("exit", (exitCode: unknown) => {
          code = typeof exitCode === "number" ? exitCode : null;
        });
        stream.on("error", () => undefined); // the channel's failure shows as a missing exit code on "close", rejected below
        stream.on("close", () => {
          signal?.removeEventListener("abort", onAbort);
          if (code === null && isClosed()) {
            reject(lost());
            return;
          }
          if (stdoutBytes > MAX_STDOUT) code = null;
          const result = { code, stdout: Buffer.concat(stdout), stderr: Buffer.concat(stderr) };
          const refused = sudo ? sudoRefusal(node, result) : undefined;
          const failure = replier?.failure();
          if (refused !== undefined) reject(refused);
          else if (failure !== undefined) reject(failure);
          else resolve(result);
        });
        if (replier === undefined) send(stdin as readonly Uint8Array[]);
      },
    );
  });
}
