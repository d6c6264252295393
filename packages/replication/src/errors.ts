import { ConnectOpsError, type ConnectOpsErrorOptions } from "@connect-ops/connection-core";

export type ReplicationErrorCode =
  | "REPL_INVENTORY_INVALID"
  | "REPL_CLUSTER_CONF_INVALID"
  | "REPL_KNOWN_HOSTS_INVALID"
  | "REPL_HOST_KEY_UNKNOWN"
  | "REPL_HOST_KEY_CHANGED"
  | "REPL_HOST_KEY_REVOKED"
  | "REPL_IDENTITY_UNREADABLE"
  | "REPL_AUTH_FAILED"
  | "REPL_UNREACHABLE"
  | "REPL_TIMEOUT"
  | "REPL_CONNECTION_LOST"
  | "REPL_PAYLOAD_INVALID"
  | "REPL_REMOTE_WRITE_FAILED"
  | "REPL_REMOTE_OUTPUT_INVALID"
  | "REPL_GENERATION_CONFLICT"
  | "REPL_NOT_CONVERGED"
  | "REPL_UNKNOWN_NODE"
  | "REPL_NODE_DIR_UNSAFE"
  | "REPL_SUDO_PASSWORD_REQUIRED"
  | "REPL_NODE_LOCKED";

/**
 * Errors of the replication package. `context` names the node (and host, user,
 * path where relevant); the message says what failed and what to do next.
 */
export class ReplicationError extends ConnectOpsError<ReplicationErrorCode> {
  constructor(code: ReplicationErrorCode, message: string, options: ConnectOpsErrorOptions = {}) {
    super(code, message, options);
    this.name = "ReplicationError";
  }
}

/** A node's target dir is a symbolic link: refused (input), never written, read or deleted through. */
export function nodeDirIsSymlink(nodeName: string, dir: string): ReplicationError {
  return new ReplicationError(
    "REPL_NODE_DIR_UNSAFE",
    `the directory ${dir} on node ${nodeName} is a symbolic link; connect-ops does not write through it`,
    {
      category: "input",
      hint: "point the inventory's path at the real directory (or replace the link with a directory owned by the SSH user), then run again",
      context: { node: nodeName, path: dir },
    },
  );
}

/** Codes worth another attempt: the node may answer a moment later. */
const TRANSIENT_CODES: ReadonlySet<ReplicationErrorCode> = new Set([
  "REPL_UNREACHABLE",
  "REPL_TIMEOUT",
  "REPL_CONNECTION_LOST",
]);

/** True for connection refused/reset and timeouts; false for auth, host keys and write failures. */
export function isTransientReplicationError(error: unknown): boolean {
  return error instanceof ReplicationError && TRANSIENT_CODES.has(error.code);
}

/**
 * Output from a node is untrusted: keep printable ASCII only and a bounded
 * length before it goes into an error message.
 */
export function sanitizeRemoteText(text: string, maxLength = 200): string {
  const cleaned = text.replace(/[^\x20-\x7e]+/g, " ").trim();
  return cleaned.length > maxLength ? `${cleaned.slice(0, maxLength)}…` : cleaned;
}
