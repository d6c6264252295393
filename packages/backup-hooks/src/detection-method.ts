import { LAYER_DECODERS } from "./layer-walk.js";

/**
 * The version of the scan method a report names (`detectionMethod`): bump it
 * whenever a decoder or detector is added or changes what it matches, so two
 * reports can be told apart by what their CLEAN covered.
 */
export const DETECTION_METHOD = `connect-ops-scan/4 (layers: ${LAYER_DECODERS.map((decoder) => decoder.kind).join(", ")}; forms: pem-key, pem-line, token, key-content, token-content, sealed-copy; encodings: raw, crlf, escaped, double-escaped, one-line, base64, hex, percent, string-escape, utf-16)`;

/**
 * What this method cannot see wherever it looks (issue 13 lists them). Each
 * is said in every report's `notChecked`, so that CLEAN is read as "none of
 * the forms the method matches, in the layers it decodes". Remove a line
 * only with the decoder or detector that closes it.
 */
export const KNOWN_LIMITS: readonly string[] = [
  "layers not decoded (their bytes are scanned raw): raw deflate outside zip and zlib, bzip2 or lzma zip members (methods 12, 14), zip64 members without sizes, git pack deltas (scanned as delta data, not applied to their bases)",
  "text encodings are undone 4 deep (base64 of hex of a JSON-escaped key is 3); a run nested deeper, one longer than the 1 MiB scan window, or an archive in a run that crosses it is a gap where it is met (text-depth-limit, text-run-limit, text-archive-limit)",
  "hex is read as plain digits, 0x/\\x prefixed, colon/space/comma/+ separated, xxd -p, and xxd or hexdump -C dumps; other dump layouts (od, hexdump without -C) are not decoded",
  "token content is kept for the newest 4096 pieces per fingerprint set (about 49 JWT-format tokens, every classic token); older JWT-format tokens are matched only whole",
  "encrypted content is not opened: an encrypted PEM or PKCS#8 key block and an encrypted zip member are each a gap (encrypted-content); encrypted PKCS#8 as DER is not recognised",
  "age files are recognised where a stream starts (a file, an archive member, a decoded run; binary or armored): one the sealed-copy ledger lists is a sealed copy by its SHA-256, one the audit's identities open is scanned inside, any other is a gap (age-not-ours); an armored block inside text is met through its base64; binary age bytes that start mid-stream (appended after other data) are not recognised",
];
