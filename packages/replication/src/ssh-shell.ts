import { abortReason } from "@connect-ops/connection-core";
import { Client, type ClientChannel, type ConnectConfig } from "ssh2";
import { ReplicationError } from "./errors.js";
import type { HostKeyVerifier } from "./host-key-verifier.js";
import { shellQuote } from "./shell-quote.js";
import type { RemoteShell, ShellResult } from "./remote-shell.js";

export interface SshNodeAddress {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  readonly user: string;
}

export interface OpenSshShellOptions {
  readonly verifier: HostKeyVerifier;
  /** OpenSSH/PEM private key (unencrypted: use the agent for a passphrase-protected key). */
  readonly privateKey?: Buffer;
  /** ssh-agent socket path (SSH_AUTH_SOCK). */
  readonly agentSocket?: string;
  /** Bound on TCP connect + handshake + auth (ssh2's readyTimeout). */
  readonly connectTimeoutMs: number;
  readonly signal?: AbortSignal;
}

// Output bounds: a node is untrusted and must not make us buffer without limit.
const MAX_STDOUT = 2 * 1024 * 1024;
const MAX_STDERR = 64 * 1024;
const TRANSIENT_SOCKET_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EPIPE",
  "ETIMEDOUT",
  "ENOTFOUND",
  "EAI_AGAIN",
]);

/** The algorithm names ssh2 negotiates for each known_hosts key type. */
function hostKeyAlgorithms(keyTypes: readonly string[]): string[] {
  return keyTypes.flatMap((type) => (type === "ssh-rsa" ? ["rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"] : [type]));
}

function mapConnectError(node: SshNodeAddress, error: Error & { level?: string; code?: string }): ReplicationError {
  const context = { node: node.name, host: node.host, port: node.port, user: node.user };
  const where = `node ${node.name} (${node.user}@${node.host}:${node.port})`;
  if (error.level === "client-authentication") {
    return new ReplicationError("REPL_AUTH_FAILED", `${where} refused authentication for user ${node.user}`, {
      category: "input",
      hint: `add the public key of the inventory's ssh.identityFile (or an ssh-agent key) to ${node.user}'s authorized keys on ${node.name} (GHES: Management Console → SSH access), then run again`,
      context,
    });
  }
  if (error.level === "client-timeout") {
    return new ReplicationError("REPL_TIMEOUT", `${where} did not complete the SSH handshake in time`, {
      category: "incomplete",
      hint: "check that the node is up and not overloaded; re-run to retry only the nodes not converged",
      context,
      cause: error,
    });
  }
  if (error.code !== undefined && TRANSIENT_SOCKET_CODES.has(error.code)) {
    return new ReplicationError("REPL_UNREACHABLE", `${where} is unreachable (${error.code})`, {
      category: "incomplete",
      hint: `check that sshd listens on port ${node.port} and the network allows it; re-run once it is back`,
      context,
      cause: error,
    });
  }
  return new ReplicationError(
    "REPL_CONNECTION_LOST",
    `${where}: the SSH connection failed (${error.level ?? error.code ?? "protocol"})`,
    {
      category: "incomplete",
      hint: "re-run; if it persists, check the node's sshd log",
      context,
      cause: error,
    },
  );
}

/**
 * Opens one SSH connection to a node and returns it as a `RemoteShell`: every
 * step of a push runs as its own exec channel on this connection, so a node
 * costs one handshake. The host key is checked by `verifier` before auth.
 * Throws `REPL_HOST_KEY_*`, `REPL_AUTH_FAILED`, `REPL_UNREACHABLE`, `REPL_TIMEOUT`.
 */
export function openSshShell(node: SshNodeAddress, options: OpenSshShellOptions): Promise<RemoteShell> {
  const client = new Client();
  let hostKeyError: Error | undefined;
  let closed = false;
  client.on("close", () => {
    closed = true;
  });
  // ssh2 can emit a second error (e.g. "Connection lost before handshake")
  // after a destroy; the first one settles the promise, later ones are noise.
  client.on("error", () => undefined); // without a listener a late error would crash the process
  const preferred = hostKeyAlgorithms(options.verifier.preferredKeyTypes(node.host, node.port));
  const config: ConnectConfig = {
    host: node.host,
    port: node.port,
    username: node.user,
    readyTimeout: options.connectTimeoutMs,
    hostVerifier: (key: Buffer, verify: (valid: boolean) => void) => {
      options.verifier.verify(node, key).then(
        () => verify(true),
        (error: unknown) => {
          // The verifier throws coded errors; anything else still fails the connection, as an Error.
          hostKeyError = error instanceof Error ? error : new Error("the host key check failed", { cause: error });
          verify(false);
        },
      );
    },
    ...(options.privateKey === undefined ? {} : { privateKey: options.privateKey }),
    ...(options.agentSocket === undefined ? {} : { agent: options.agentSocket }),
    ...(preferred.length === 0 ? {} : { algorithms: { serverHostKey: preferred as never } }),
  };

  const shell: RemoteShell = {
    run: (script, stdin, signal) => runScript(client, node, script, stdin, signal, () => closed),
    [Symbol.asyncDispose]: async () => {
      if (closed) return;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          client.destroy();
          resolve();
        }, 2000);
        client.once("close", () => {
          clearTimeout(timer);
          resolve();
        });
        client.end();
      });
    },
  };

  const { signal } = options;
  return new Promise<RemoteShell>((resolve, reject) => {
    const onAbort = (): void => {
      client.destroy();
      if (signal !== undefined) reject(abortReason(signal));
    };
    if (signal?.aborted) {
      onAbort();
      return;
    }
    signal?.addEventListener("abort", onAbort, { once: true });
    const settle = (): void => {
      signal?.removeEventListener("abort", onAbort);
    };
    client.once("ready", () => {
      settle();
      resolve(shell);
    });
    client.once("error", (error: Error & { level?: string; code?: string }) => {
      settle();
      client.destroy();
      reject(hostKeyError ?? mapConnectError(node, error));
    });
    client.once("close", () => {
      settle();
      reject(hostKeyError ?? mapConnectError(node, Object.assign(new Error("closed"), { code: "ECONNRESET" })));
    });
    client.connect(config);
  });
}

function runScript(
  client: Client,
  node: SshNodeAddress,
  script: string,
  stdin: readonly Uint8Array[],
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
    client.exec(`sh -c ${shellQuote(script)}`, (error: Error | undefined, stream: ClientChannel) => {
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
      stream.on("data", (chunk: Buffer) => {
        stdoutBytes += chunk.length;
        if (stdoutBytes <= MAX_STDOUT) stdout.push(chunk);
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
        resolve({ code, stdout: Buffer.concat(stdout), stderr: Buffer.concat(stderr) });
      });
      for (const chunk of stdin) stream.write(chunk);
      stream.end();
    });
  });
}
