import type { DetectScope } from "./hit.js";

const ANCHOR = Buffer.from("AGE-SECRET-KEY-1");
/** An X25519 identity: the anchor and 58 upper-case bech32 characters (data and checksum). */
const IDENTITY_LENGTH = ANCHOR.length + 58;
const BECH32_UPPER = /^[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58}$/;

/**
 * Finds the age identities a shred destroyed (`AGE-SECRET-KEY-1…`, issue 17.3)
 * that start in [from, to) of `buf`: each anchor is checked against the
 * fingerprint sets' salted identity digests. Only raw text: an identity is
 * short and copied as text (a base64 or compressed copy is decoded by the
 * walker's layers before it gets here).
 */
export function detectAgeIdentities(scope: DetectScope): void {
  const { buf, to, end, matcher, covered, hits } = scope;
  if (matcher.matchAgeIdentity === undefined) return;
  let index = buf.indexOf(ANCHOR, scope.from);
  while (index !== -1 && index < to) {
    const stop = index + IDENTITY_LENGTH;
    if (stop <= end && !covered.overlaps(index, stop)) {
      const candidate = buf.toString("latin1", index, stop);
      const id = BECH32_UPPER.test(candidate.slice(ANCHOR.length)) ? matcher.matchAgeIdentity(candidate) : undefined;
      if (id !== undefined) {
        hits.push({ start: index, end: stop, form: "age-identity", encoding: "raw", fingerprintId: id });
        covered.add(index, stop);
      }
    }
    index = buf.indexOf(ANCHOR, index + 1);
  }
}
