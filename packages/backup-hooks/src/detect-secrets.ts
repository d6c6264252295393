import type { ResidueMatcher } from "@connect-ops/connection-core";
import { detectAgeIdentities } from "./age-identity-detect.js";
import { detectBase64 } from "./base64-detect.js";
import { detectContent } from "./content-detect.js";
import { CoveredRanges, type Hit } from "./hit.js";
import { detectPemKeys } from "./pem-detect.js";
import { detectTokens } from "./token-detect.js";

/**
 * All secret spans that start in [from, to) of `buf`, using bytes up to `end`
 * as right context. PEM blocks go first so their lines are not reported again
 * as base64 runs; tokens next; base64 runs; then the secret content itself
 * (content-detect.ts), in whatever the fast paths did not claim.
 */
export function detectSecrets(buf: Buffer, from: number, to: number, end: number, matcher: ResidueMatcher): Hit[] {
  const scope = { buf, from, to, end, matcher, covered: new CoveredRanges(), hits: [] as Hit[] };
  detectPemKeys(scope);
  detectTokens(scope);
  detectAgeIdentities(scope);
  detectBase64(scope);
  detectContent(scope);
  return scope.hits;
}
