/**
 * What kind of failure an error is, so the CLI can pick the exit code of the
 * contract without knowing every code: `input` → 2, `incomplete` → 3,
 * `internal` → 70. Libraries never exit; they only say which kind it was.
 */
export type ErrorCategory = "input" | "incomplete" | "internal";

export interface ConnectOpsErrorOptions {
  readonly category?: ErrorCategory;
  readonly hint?: string;
  readonly context?: Readonly<Record<string, string | number | boolean | undefined>>;
  readonly cause?: unknown;
}

/**
 * Base of every typed error in connect-ops. `message` says what failed, `hint`
 * what to do next; `context` holds non-secret fields (host, path, member).
 * Never put secret material in any of them.
 */
export class ConnectOpsError<Code extends string = string> extends Error {
  readonly code: Code;
  readonly category: ErrorCategory;
  readonly hint: string | undefined;
  readonly context: Readonly<Record<string, string | number | boolean | undefined>>;

  constructor(code: Code, message: string, options: ConnectOpsErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "ConnectOpsError";
    this.code = code;
    this.category = options.category ?? "internal";
    this.hint = options.hint;
    this.context = options.context ?? {};
  }
}

export type CoreErrorCode =
  | "CORE_INVALID_INPUT"
  | "CORE_LICENSE_INVALID"
  | "CORE_KEY_INVALID"
  | "CLOUD_UNREACHABLE"
  | "CLOUD_REJECTED"
  | "CLOUD_NOT_FOUND"
  | "CLOUD_UNAUTHORIZED"
  | "CLOUD_RATE_LIMITED"
  | "CLOUD_PROXY_UNREACHABLE"
  | "CLOUD_PROXY_REFUSED"
  | "CLOUD_TLS_UNTRUSTED"
  | "CONNECT_STATE_INVALID"
  | "INPUT_NOT_A_FILE"
  | "INPUT_TOO_LARGE"
  | "INPUT_UNREADABLE"
  | "INPUT_READ_TIMEOUT";

/** Errors of connection-core: schemas, license, keys, the cloud client and the connect journal. */
export class CoreError extends ConnectOpsError<CoreErrorCode> {
  constructor(code: CoreErrorCode, message: string, options: ConnectOpsErrorOptions = {}) {
    super(code, message, options);
    this.name = "CoreError";
  }
}

/** True when `error` is any connect-ops typed error (from any package). */
export function isConnectOpsError(error: unknown): error is ConnectOpsError {
  return error instanceof ConnectOpsError;
}
