import { ConnectOpsError, redactSecrets, type ConnectOpsErrorOptions } from "@connect-ops/connection-core";
import { EXIT, type ExitCode } from "./exit-codes.js";

export type CliErrorCode =
  | "CLI_USAGE"
  | "CLI_CONFIRMATION_REQUIRED"
  | "CLI_INTERNAL"
  | "CLI_VAULT_UNLOCK_FAILED"
  | "CLI_SHRED_FAILED"
  | "CLI_MANIFEST_STATE_MISMATCH"
  | "CLI_MANIFEST_TIMEOUT"
  | "CLI_MANIFEST_NOT_INSTALLED"
  | "CLI_MANIFEST_ORPHAN_APP"
  | "CLI_CONNECT_RECORDS_UNSUPPORTED"
  | "CONFIG_NOT_FOUND"
  | "CONFIG_INVALID"
  | "CLI_REKEY_INCOMPLETE";

export class CliError extends ConnectOpsError<CliErrorCode> {
  constructor(code: CliErrorCode, message: string, options: ConnectOpsErrorOptions = {}) {
    super(code, message, { category: "input", ...options });
    this.name = "CliError";
  }
}

export function usageError(message: string, hint: string, cause?: unknown): CliError {
  return new CliError("CLI_USAGE", message, { category: "input", hint, ...(cause === undefined ? {} : { cause }) });
}

/** Exit code of the contract for an error. */
export function exitCodeFor(error: unknown): ExitCode {
  if (error instanceof ConnectOpsError) {
    if (error.category === "input") return EXIT.usage;
    if (error.category === "incomplete") return EXIT.incomplete;
  }
  return EXIT.internal;
}

/**
 * The one error format: `error[CODE]: what happened — what to do`.
 * Text is passed through the redactor in case a foreign message carries a secret.
 */
export function formatError(error: unknown): string {
  if (error instanceof ConnectOpsError) {
    const hint = error.hint === undefined ? "" : ` — ${error.hint}`;
    return redactSecrets(`error[${error.code}]: ${error.message}${hint}`);
  }
  return redactSecrets(
    `error[CLI_INTERNAL]: ${internalMessage(error)} — this is a bug in connect-ops; re-run with --log-level debug and report it`,
  );
}

const MAX_INTERNAL_MESSAGE = 300;

/**
 * A foreign error's message, first line only and bounded: some (an ESM link
 * error, a SyntaxError) quote whole lines of source, which belong in the
 * debug log, not on an operator's terminal.
 */
function internalMessage(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  const line = text.split("\n", 1)[0] ?? "";
  const short = line.length > MAX_INTERNAL_MESSAGE ? `${line.slice(0, MAX_INTERNAL_MESSAGE)}…` : line;
  return short.length < text.length ? `${short} (more with --log-level debug)` : short;
}

/** The whole message and stack of an internal error, redacted: for `--log-level debug`. */
export function internalDetail(error: unknown): string {
  return redactSecrets(error instanceof Error ? (error.stack ?? error.message) : String(error));
}

/** `instanceof` on the generic class narrows to `ConnectOpsError<any>`; this keeps `code` a string. */
const isConnectOpsError = (error: unknown): error is ConnectOpsError => error instanceof ConnectOpsError;

/** The `--json` shape of an error, printed on stdout so runbooks can parse failures too. */
export function errorJson(error: unknown): { error: { code: string; message: string; hint?: string } } {
  if (isConnectOpsError(error)) {
    return {
      error: {
        code: error.code,
        message: redactSecrets(error.message),
        ...(error.hint === undefined ? {} : { hint: redactSecrets(error.hint) }),
      },
    };
  }
  return {
    error: { code: "CLI_INTERNAL", message: redactSecrets(internalMessage(error)) },
  };
}
