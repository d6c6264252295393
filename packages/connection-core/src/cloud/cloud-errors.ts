import { CoreError, type CoreErrorCode, type ErrorCategory } from "../errors.js";
import { redactSecrets } from "../redact-secrets.js";
import { attemptsHeader } from "./retrying-fetch.js";

/** What a failed call was for: goes into messages, so it must name no secret (route templates, not URLs). */
export interface CloudOperation {
  /** Verb phrase: "mint an installation token". */
  readonly action: string;
  /** Route template: "POST /app/installations/{installation_id}/access_tokens". */
  readonly route: string;
  readonly baseUrl: string;
  /** What to do after a 401, which depends on which credential was used. */
  readonly unauthorizedHint?: string;
}

/** The parts of @octokit/request-error's RequestError we read; never its `request` (headers, body). */
interface HttpFailure {
  readonly status: number;
  readonly message: string;
  readonly response?: { readonly headers: Record<string, string | undefined>; readonly data?: unknown };
}

function isHttpFailure(error: unknown): error is HttpFailure {
  return error instanceof Error && typeof (error as { status?: unknown }).status === "number";
}

function gitHubMessage(failure: HttpFailure): string {
  const data = failure.response?.data;
  const message = typeof data === "object" && data !== null ? (data as { message?: unknown }).message : undefined;
  return redactSecrets(typeof message === "string" ? message : failure.message).slice(0, 300);
}

/** True for the three 401s GitHub answers to a JWT issued on a wrong clock (the ones @octokit/auth-app also matches). */
export function isClockSkewRefusal(error: unknown): boolean {
  if (!isHttpFailure(error) || error.status !== 401) return false;
  return /'Expiration time' claim \('exp'\)|'Issued at' claim \('iat'\)/.test(gitHubMessage(error));
}

/** The HTTP status of a failed call, or undefined when no response came back. */
export function statusOf(error: unknown): number | undefined {
  return isHttpFailure(error) && error.response !== undefined ? error.status : undefined;
}

function build(
  code: CoreErrorCode,
  category: ErrorCategory,
  message: string,
  hint: string,
  operation: CloudOperation,
  status?: number,
) {
  return new CoreError(code, message, {
    category,
    hint,
    context: { baseUrl: operation.baseUrl, route: operation.route, status },
  });
}

/**
 * Turns whatever a cloud call threw into a `CoreError` whose message says what
 * failed and what to do. Copies only status and GitHub's (redacted) message;
 * the original error is not attached as `cause`, because its request holds
 * headers and body that may carry a token, JWT or key.
 */
export function toCloudError(error: unknown, operation: CloudOperation): CoreError {
  if (error instanceof CoreError) return error;
  // The network fetch's own verdict (proxy, TLS), which @octokit/request wraps as a RequestError's cause.
  const cause = error instanceof Error ? (error as { cause?: unknown }).cause : undefined;
  if (cause instanceof CoreError) return cause;
  const where = `the cloud API at ${operation.baseUrl}`;
  if (!isHttpFailure(error) || error.response === undefined) {
    const reason = redactSecrets(error instanceof Error ? error.message : String(error)).slice(0, 200);
    return build(
      "CLOUD_UNREACHABLE",
      "incomplete",
      `could not reach ${where} to ${operation.action} (${operation.route}): ${reason}`,
      "check the cloud URL and the network path to it (DNS, proxy, firewall), then run the command again; it is safe to re-run",
      operation,
    );
  }
  const { status } = error;
  const attempts = error.response.headers[attemptsHeader] ?? "1";
  const said = gitHubMessage(error);
  if (status >= 500) {
    return build(
      "CLOUD_UNREACHABLE",
      "incomplete",
      `${where} failed to ${operation.action}: HTTP ${status} after ${attempts} attempt(s) (${operation.route})`,
      "the cloud side is having trouble; wait a few minutes and run the command again; it is safe to re-run",
      operation,
      status,
    );
  }
  if (
    (status === 403 || status === 429) &&
    (error.response.headers["x-ratelimit-remaining"] === "0" || status === 429)
  ) {
    const reset = Number(error.response.headers["x-ratelimit-reset"]);
    const until = Number.isFinite(reset) && reset > 0 ? ` until ${new Date(reset * 1000).toISOString()}` : "";
    return build(
      "CLOUD_RATE_LIMITED",
      "incomplete",
      `${where} rate-limited the request to ${operation.action}${until} (HTTP ${status}: ${said})`,
      "run the command again after the rate limit resets; it is safe to re-run",
      operation,
      status,
    );
  }
  if (status === 401) {
    return build(
      "CLOUD_UNAUTHORIZED",
      "input",
      `${where} refused the credentials used to ${operation.action} (HTTP 401: ${said})`,
      operation.unauthorizedHint ??
        "check the credentials and that this machine's clock is right, then run the command again",
      operation,
      status,
    );
  }
  if (status === 404) {
    return build(
      "CLOUD_NOT_FOUND",
      "input",
      `${where} has no such resource to ${operation.action} (HTTP 404, ${operation.route})`,
      "check the cloud URL (GHES: https://HOST/api/v3) and that the connection still exists (connect-ops status)",
      operation,
      status,
    );
  }
  return build(
    "CLOUD_REJECTED",
    "input",
    `${where} rejected the request to ${operation.action} (HTTP ${status}: ${said})`,
    "fix what the message names and run the command again",
    operation,
    status,
  );
}
