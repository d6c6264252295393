import { CoreError } from "./errors.js";

/** GitHub installation tokens live one hour. */
export const TOKEN_LIFETIME_MS = 60 * 60 * 1000;

/**
 * Parses a duration flag such as `10m`, `90s`, `1h`, `1h30m` into ms.
 * Throws `CORE_INVALID_INPUT` naming the flag.
 */
export function parseDuration(text: string, flag: string): number {
  const match = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(text.trim());
  if (!match || text.trim() === "" || (match[1] ?? match[2] ?? match[3]) === undefined) {
    throw new CoreError("CORE_INVALID_INPUT", `${flag} is invalid: expected a duration such as 10m, 90s or 1h`, {
      category: "input",
      hint: `pass ${flag} 10m`,
    });
  }
  return ((Number(match[1] ?? 0) * 60 + Number(match[2] ?? 0)) * 60 + Number(match[3] ?? 0)) * 1000;
}

/**
 * Whether a token expiring at `expiresAt` must be replaced now: when less
 * than `minTtlMs` remains (default rule: 10 minutes), or it is unknown.
 */
export function tokenNeedsRefresh(expiresAt: string | undefined, nowMs: number, minTtlMs: number): boolean {
  if (expiresAt === undefined) return true;
  const expires = Date.parse(expiresAt);
  return Number.isNaN(expires) || expires - nowMs <= minTtlMs;
}
