import type { NodeSpec } from "@connect-ops/replication";
import { redactSecrets } from "@connect-ops/connection-core";

/** A per-node error as the CLI prints it: the library's code and message, plus what to do next. */
export interface NodeErrorView {
  readonly code: string;
  readonly message: string;
  readonly hint?: string;
}

/**
 * Trust decisions and credentials: re-running cannot fix them, the operator
 * must act first, so they make a command exit 2 (bad input) rather than 3.
 */
const REFUSAL_CODES: ReadonlySet<string> = new Set([
  "REPL_HOST_KEY_UNKNOWN",
  "REPL_HOST_KEY_CHANGED",
  "REPL_HOST_KEY_REVOKED",
  "REPL_AUTH_FAILED",
  "REPL_IDENTITY_UNREADABLE",
  "REPL_KNOWN_HOSTS_INVALID",
]);

export function isRefusal(error: { readonly code: string } | undefined): boolean {
  return error !== undefined && REFUSAL_CODES.has(error.code);
}

/** `[host]:port` as known_hosts spells it (port 22 is written bare). */
function knownHostsName(node: NodeSpec): string {
  return node.port === 22 ? node.host : `[${node.host}]:${node.port}`;
}

/**
 * The per-node results carry `{code, message}` only; the library's hints are
 * lost on the way, so the CLI rebuilds the next step here, with this node's
 * host, port and the known_hosts file of the run filled in.
 */
function hintFor(code: string, node: NodeSpec | undefined, knownHostsFile: string): string | undefined {
  const host = node?.host ?? "HOST";
  const port = node?.port ?? 122;
  switch (code) {
    case "REPL_HOST_KEY_UNKNOWN":
      return (
        `compare the fingerprint with \`ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub\` on the node's console, then run ` +
        `\`ssh-keyscan -p ${port} ${host} >> ${knownHostsFile}\`, or re-run with --accept-new-host-keys`
      );
    case "REPL_HOST_KEY_CHANGED":
      return (
        `if the node was reinstalled, verify the new key on its console, remove the old entry with ` +
        `\`ssh-keygen -R '${node === undefined ? "[HOST]:122" : knownHostsName(node)}' -f ${knownHostsFile}\`, add the new key and re-run ` +
        `(--accept-new-host-keys never replaces a key)`
      );
    case "REPL_HOST_KEY_REVOKED":
      return "the node must get new host keys before it can receive credentials";
    case "REPL_AUTH_FAILED":
      return `check that the identity (--identity-file, ssh.identityFile or ssh-agent) is authorized for ${node?.user ?? "admin"} on the node`;
    case "REPL_UNREACHABLE":
    case "REPL_TIMEOUT":
    case "REPL_CONNECTION_LOST":
      return "check the node is up and reachable on its SSH port; re-run: only nodes not yet converged are touched";
    default:
      return undefined;
  }
}

/** Builds the printed form of a node's error; text is redacted as a last line of defence. */
export function describeNodeFailure(
  error: { readonly code: string; readonly message: string },
  node: NodeSpec | undefined,
  knownHostsFile: string,
): NodeErrorView {
  const hint = hintFor(error.code, node, knownHostsFile);
  return { code: error.code, message: redactSecrets(error.message), ...(hint === undefined ? {} : { hint }) };
}
