import { LAYER_DECODERS } from "./layer-walk.js";

/**
 * The version of the scan method a report names (`detectionMethod`): bump it
 * whenever a decoder or detector is added or changes what it matches, so two
 * reports can be told apart by what their CLEAN covered.
 */
export const DETECTION_METHOD = `connect-ops-scan/1 (layers: ${LAYER_DECODERS.map((decoder) => decoder.kind).join(", ")}; forms: pem-key, pem-line, token, sealed-copy; encodings: raw, crlf, escaped, double-escaped, one-line, base64)`;

/**
 * What this method cannot see wherever it looks (issue 13 lists them). Each
 * is said in every report's `notChecked`, so that CLEAN is read as "none of
 * the forms the method matches, in the layers it decodes". Remove a line
 * only with the decoder or detector that closes it.
 */
export const KNOWN_LIMITS: readonly string[] = [
  "layers not decoded (their content is scanned only as raw bytes): xz, lzma, zstd, bzip2, zip, zlib, raw deflate, a gzip stream that does not start the file",
  "key encodings not matched: DER or PKCS#8 without PEM armour, hex (plain, 0x, separated, dumps), JWK, the OpenSSH private-key format, `openssl rsa -text`, base64 wrapped at widths other than 64 or 76",
  "text encodings not undone: percent-encoding, JSON \\uXXXX escapes, SQL and C string escapes other than \\n, UTF-16",
  "token forms not matched: a token without its ghs_ prefix, a token split over lines, the JWT part of a ghs_<APPID>_<JWT> token alone",
  "encrypted content is not opened: an encrypted PEM or PKCS#8 key, an encrypted zip, an age file other than a github-connect/credentials.age sealed copy",
];
