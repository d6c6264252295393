import type { ResidueMatcher } from "@connect-ops/connection-core";
import type { DetectScope, Hit } from "./hit.js";

const ANCHOR = Buffer.from("ghs_");
/** Longest token text considered: the `ghs_<APPID>_<JWT>` form is ~520 characters. */
export const MAX_TOKEN_LENGTH = 1400;
/** How many shorter prefixes of a JWT-form candidate are tried when random text follows it. */
const MAX_SIGNATURE_TRIMS = 512;

const TOKEN_CHAR = new Uint8Array(256);
for (const char of "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-.")
  TOKEN_CHAR[char.charCodeAt(0)] = 1;

/** The byte at `index` may be part of a token (false past the end of `buf`). */
function isTokenCharAt(buf: Buffer, index: number): boolean {
  const byte = buf[index];
  return byte !== undefined && TOKEN_CHAR[byte] === 1;
}

const CLASSIC = /^ghs_[A-Za-z0-9]{36}/;
const APP_JWT = /^ghs_\d+_[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+/;

function matchCandidate(
  text: string,
  matcher: ResidueMatcher,
): { length: number; id: string; variant: "classic" | "app-jwt" } | undefined {
  const classic = CLASSIC.exec(text);
  if (classic) {
    const id = matcher.matchToken(classic[0]);
    if (id !== undefined) return { length: 40, id, variant: "classic" };
  }
  const jwt = APP_JWT.exec(text);
  if (jwt) {
    // The text after a token may itself be token characters (binary noise, a
    // base64url suffix), so the greedy match may be too long: try shorter ends
    // within the signature segment. Each try is one HMAC and `ghs_` is rare.
    const full = jwt[0];
    const minimum = Math.max(full.lastIndexOf(".") + 2, full.length - MAX_SIGNATURE_TRIMS);
    for (let length = full.length; length >= minimum; length -= 1) {
      const id = matcher.matchToken(full.slice(0, length));
      if (id !== undefined) return { length, id, variant: "app-jwt" };
    }
  }
  return undefined;
}

/**
 * Finds `ghs_` tokens that start in [from, to) of `buf` (context up to `end`).
 * The prefilter is `Buffer.indexOf`; only anchors pay for a regex and HMACs.
 */
export function detectTokens(scope: DetectScope, encoding: Hit["encoding"] = "raw"): void {
  const { buf, to, end, matcher, covered, hits } = scope;
  let index = buf.indexOf(ANCHOR, scope.from);
  while (index !== -1 && index < to) {
    let stop = index + 4;
    const limit = Math.min(end, index + MAX_TOKEN_LENGTH);
    while (stop < limit && isTokenCharAt(buf, stop)) stop += 1;
    let next = index + 4;
    if (stop - index >= 40 && !covered.overlaps(index, stop)) {
      const found = matchCandidate(buf.toString("latin1", index, stop), matcher);
      if (found) {
        hits.push({
          start: index,
          end: index + found.length,
          form: "token",
          encoding,
          variant: found.variant,
          fingerprintId: found.id,
        });
        covered.add(index, index + found.length);
        next = index + found.length;
      }
    }
    index = buf.indexOf(ANCHOR, next);
  }
}
