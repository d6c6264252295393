import type { ResidueMatcher } from "@connect-ops/connection-core";
import { detectAgeIdentities } from "./age-identity-detect.js";
import { detectBase64 } from "./base64-detect.js";
import { detectContent } from "./content-detect.js";
import { CoveredRanges, type Hit } from "./hit.js";
import { detectPemKeys } from "./pem-detect.js";
import { detectEncodedText } from "./text-detect.js";
import type { TextNest } from "./text-nest.js";
import { detectTokens } from "./token-detect.js";

/** The nest of a buffer scanned whole on its own (no layer walk to hand archives to). */
function standaloneNest(): TextNest {
  return { depth: 0, final: true, opens: () => false, embedded: [], limits: new Set() };
}

/**
 * All secret spans that start in [from, to) of `buf`, using bytes up to `end`
 * as right context. PEM blocks go first so their lines are not reported again
 * as base64 runs; tokens next; base64 runs; then the text decoders, which run
 * all of this again over what they decode (`nest` says how deep, and collects
 * limits and decoded archives for the caller); last the secret content itself
 * (content-detect.ts), in whatever the others did not claim (an xxd dump's
 * ASCII column is part of the dump's hit, not a second finding; `claimedTo`
 * carries that claim over from the window before).
 */
export function detectSecrets(
  buf: Buffer,
  from: number,
  to: number,
  end: number,
  matcher: ResidueMatcher,
  nest: TextNest = standaloneNest(),
  claimedTo = 0,
): Hit[] {
  const scope = { buf, from, to, end, matcher, covered: new CoveredRanges(), hits: [] as Hit[] };
  // [0, claimedTo) lies in a hit the window before reported (a dump it read whole, past its end): no second finding.
  if (claimedTo > 0) scope.covered.add(0, claimedTo);
  detectPemKeys(scope, undefined, nest.limits);
  detectTokens(scope);
  detectAgeIdentities(scope);
  detectBase64(scope);
  detectEncodedText(scope, nest, (decoded, inner) =>
    detectSecrets(decoded, 0, decoded.length, decoded.length, matcher, inner),
  );
  detectContent(scope);
  return scope.hits;
}
