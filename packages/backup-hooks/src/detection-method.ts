import { LAYER_DECODERS } from "./layer-walk.js";

/**
 * The version of the scan method a report names (`detectionMethod`): bump it
 * whenever a decoder or detector is added or changes what it matches, so two
 * reports can be told apart by what their CLEAN covered.
 */
export const DETECTION_METHOD = `connect-ops-scan/2 (layers: ${LAYER_DECODERS.map((decoder) => decoder.kind).join(", ")}; forms: pem-key, pem-line, token, key-content, token-content, sealed-copy; encodings: raw, crlf, escaped, double-escaped, one-line, base64)`;

/**
 * What this method cannot see wherever it looks (issue 13 lists them). Each
 * is said in every report's `notChecked`, so that CLEAN is read as "none of
 * the forms the method matches, in the layers it decodes". Remove a line
 * only with the decoder or detector that closes it.
 */
export const KNOWN_LIMITS: readonly string[] = [
  "layers not decoded (their bytes are scanned raw): raw deflate outside zip and zlib, bzip2 or lzma zip members (methods 12, 14), zip64 members without sizes, git pack deltas (scanned as delta data, not applied to their bases)",
  "key encodings found only where the private numbers appear as raw bytes or inside base64 runs: hex forms (plain, 0x, separated, dumps) and `openssl rsa -text` are not decoded",
  "text encodings not undone: percent-encoding, JSON \\uXXXX escapes, SQL and C string escapes other than \\n, UTF-16",
  "token content is kept for the newest 4096 pieces per fingerprint set (about 49 JWT-format tokens, every classic token); older JWT-format tokens are matched only whole",
  "encrypted content is not opened: an encrypted PEM or PKCS#8 key, an encrypted zip, an age file other than a github-connect/credentials.age sealed copy",
];
