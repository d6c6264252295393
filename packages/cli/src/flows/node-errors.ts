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

/**
 * Builds the printed form of a node's error from what the per-node result
 * carries (the library's code, message and hint, with this node's host, port
 * and known_hosts file already in it): no second table of hints here. Text is
 * redacted as a last line of defence.
 */
export function describeNodeFailure(error: {
  readonly code: string;
  readonly message: string;
  readonly hint?: string;
}): NodeErrorView {
  return {
    code: error.code,
    message: redactSecrets(error.message),
    ...(error.hint === undefined ? {} : { hint: redactSecrets(error.hint) }),
  };
}
