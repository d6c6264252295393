import { abortReason } from "@connect-ops/connection-core";
import type { Duplex } from "node:stream";
import ssh2, { Client, type AnyAuthMethod, type ConnectConfig, type NextAuthHandler, type ParsedKey } from "ssh2";
import { ReplicationError } from "./errors.js";
import type { HostKeyVerifier } from "./host-key-verifier.js";

export interface SshNodeAddress {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  readonly user: string;
}

export interface SshConnectOptions {
  readonly verifier: HostKeyVerifier;
  /** OpenSSH/PEM private key (unencrypted: use the agent for a passphrase-protected key). */
  readonly privateKey?: Buffer;
  /** ssh-agent socket path (SSH_AUTH_SOCK). */
  readonly agentSocket?: string;
  /** Bound on TCP connect + handshake + auth (ssh2's readyTimeout). */
  readonly connectTimeoutMs: number;
  readonly signal?: AbortSignal;
}

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
  // OpenSSH's own preference among the known types: an Ed25519 signature costs the node far less than an RSA one.
  const rank = (type: string): number => {
    const at = HOST_KEY_PREFERENCE.indexOf(type);
    return at < 0 ? HOST_KEY_PREFERENCE.length : at;
  };
  return [...keyTypes]
    .sort((a, b) => rank(a) - rank(b))
    .flatMap((type) => (type === "ssh-rsa" ? ["rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"] : [type]));
}

const HOST_KEY_PREFERENCE = [
  "ssh-ed25519",
  "ecdsa-sha2-nistp256",
  "ecdsa-sha2-nistp384",
  "ecdsa-sha2-nistp521",
  "ssh-rsa",
];

function mapConnectError(
  node: SshNodeAddress,
  error: Error & { level?: string; code?: string },
  connectTimeoutMs: number,
): ReplicationError {
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
    return new ReplicationError(
      "REPL_TIMEOUT",
      `${where} did not complete the SSH handshake within ${connectTimeoutMs} ms`,
      {
        category: "incomplete",
        hint: "check that the node is up and not overloaded; re-run to retry only the nodes not converged",
        context,
        cause: error,
      },
    );
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
 * Connects and authenticates one ssh2 client to `node`, over `sock` when given
 * (a channel forwarded by a jump host) or TCP. The host key is checked by
 * `verifier` before auth. Throws `REPL_HOST_KEY_*`, `REPL_AUTH_FAILED`,
 * `REPL_UNREACHABLE`, `REPL_TIMEOUT`, `REPL_CONNECTION_LOST`.
 */
export function connectSshClient(node: SshNodeAddress, options: SshConnectOptions, sock?: Duplex): Promise<Client> {
  const client = new Client();
  let hostKeyError: Error | undefined;
  // ssh2 can emit a second error (e.g. "Connection lost before handshake")
  // after a destroy; the first one settles the promise, later ones are noise.
  client.on("error", () => undefined); // without a listener a late error would crash the process
  const preferred = hostKeyAlgorithms(options.verifier.preferredKeyTypes(node.host, node.port));
  const config: ConnectConfig = {
    ...(sock === undefined ? { host: node.host, port: node.port } : { sock }),
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
    ...authentication(node.user, options),
    ...(preferred.length === 0 ? {} : { algorithms: { serverHostKey: preferred as never } }),
  };

  const { signal } = options;
  return new Promise<Client>((resolve, reject) => {
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
      resolve(client);
    });
    client.once("error", (error: Error & { level?: string; code?: string }) => {
      settle();
      client.destroy();
      reject(hostKeyError ?? mapConnectError(node, error, options.connectTimeoutMs));
    });
    client.once("close", () => {
      settle();
      reject(
        hostKeyError ??
          mapConnectError(node, Object.assign(new Error("closed"), { code: "ECONNRESET" }), options.connectTimeoutMs),
      );
    });
    client.connect(config);
  });
}

const parsedKeys = new WeakMap<Buffer, ParsedKey | undefined>();

/** The run's identity file, parsed once for all its connections (ssh2 parses a raw key again per connection). */
function parsedKey(raw: Buffer): ParsedKey | undefined {
  if (!parsedKeys.has(raw)) {
    // ssh2 is CommonJS: `utils` is not a named export under Node ESM.
    // Like ssh2's own connect: a file of several keys gives an array, the first one is used.
    const parsed = ssh2.utils.parseKey(raw) as ParsedKey | readonly ParsedKey[] | Error;
    const first = Array.isArray(parsed) ? (parsed as readonly ParsedKey[])[0] : (parsed as ParsedKey | Error);
    parsedKeys.set(raw, first instanceof Error ? undefined : first);
  }
  return parsedKeys.get(raw);
}

/**
 * Our key, then the agent, straight away: ssh2's default order starts with a
 * `none` attempt, one round trip per node that can never log us in. A key
 * ssh2 cannot parse goes to it raw, so its own error reports it as before.
 */
function authentication(user: string, options: SshConnectOptions): Partial<ConnectConfig> {
  const key = options.privateKey === undefined ? undefined : parsedKey(options.privateKey);
  if (options.privateKey !== undefined && key === undefined) {
    return {
      privateKey: options.privateKey,
      ...(options.agentSocket === undefined ? {} : { agent: options.agentSocket }),
    };
  }
  const methods: AnyAuthMethod[] = [
    ...(key === undefined ? [] : [{ type: "publickey" as const, username: user, key }]),
    ...(options.agentSocket === undefined
      ? []
      : [{ type: "agent" as const, username: user, agent: options.agentSocket }]),
  ];
  let next = 0;
  return {
    authHandler: (authsLeft: readonly string[] | null, _partial: boolean | null, callback: NextAuthHandler): void => {
      // Both are `publickey` to the server (an agent key too); null on the first call.
      const offered = authsLeft === null || authsLeft.includes("publickey");
      const method = offered ? methods[next++] : undefined;
      if (method !== undefined) callback(method);
      else (callback as unknown as (done: false) => void)(false); // ssh2: no method left
    },
  };
}

/** Ends a client politely, destroying it when the server does not close within 2 s. */
export async function endSshClient(client: Client): Promise<void> {
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
}
