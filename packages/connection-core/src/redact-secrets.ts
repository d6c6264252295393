/**
 * The one secret redactor (issue 12): every string that leaves a process —
 * CLI error rendering, log lines, cloud errors quoting what GitHub or the
 * network sent back — goes through `redactSecrets`. Typed errors of our own
 * never carry secrets; this is the last line of defence for text we do not
 * control.
 *
 * Two rules shape the patterns:
 * - a credential is recognised by its own shape (a `ghs_` prefix, a JWT's
 *   `eyJ…`, a PEM armour line, an age identity), never by a word in front of it;
 * - after a keyword that only *may* precede a secret ("token", "bearer",
 *   "basic"), the next word is redacted only if it looks like a credential
 *   (eight or more credential characters with a digit in them), so
 *   "A JSON web token could not be decoded" and "token expired" stay readable.
 */

const REDACTED = "[REDACTED]";

/** A word that looks like a credential value: 8+ token characters, at least one digit, optional base64 padding. */
const CREDENTIAL_VALUE = String.raw`(?=[A-Za-z0-9._~+/-]*[0-9])[A-Za-z0-9._~+/-]{8,}=*`;

interface SecretPattern {
  readonly pattern: RegExp;
  /** Builds the replacement from the match groups; the default replaces the whole match. */
  readonly replace?: (...groups: string[]) => string;
}

const SECRET_PATTERNS: readonly SecretPattern[] = [
  // Every PEM private key armour: PKCS#1/#8, EC, DSA, OPENSSH, ENCRYPTED, PGP … BLOCK; a truncated one to the end.
  {
    pattern:
      /-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----[\s\S]*?(?:-----END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----|$)/g,
  },
  // GitHub tokens: installation (ghs_, also ghs_<APPID>_<JWT>), PAT, OAuth, user-to-server, refresh, fine-grained PAT.
  { pattern: /\b(?:ghs|ghp|gho|ghu|ghr)_[A-Za-z0-9_.-]{10,}/g },
  { pattern: /\bgithub_pat_[A-Za-z0-9_]{10,}/g },
  // JWTs (and JWEs): a base64url JSON header `eyJ…` then at least two dot-separated parts.
  { pattern: /\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/g },
  // age identities (bech32, upper case by spec; lower case accepted by decoders).
  { pattern: /\bAGE-SECRET-KEY-1[0-9A-Z]+/gi },
  // Authorization header values, in headers, JSON and key=value text: the value is always a secret.
  {
    pattern: /\b((?:proxy-)?authorization["']?\s*[:=]\s*["']?)(?:(bearer|token|basic)\s+)?[^\s"',;}]+/gi,
    replace: (prefix = "", scheme) => `${prefix}${scheme ? `${scheme} ` : ""}${REDACTED}`,
  },
  // Credentials in a URL (a proxy's `http://user:pass@host:port`): the user info is a secret.
  {
    pattern: /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/@:]*(?::[^\s/@]*)?@/gi,
    replace: (scheme = "") => `${scheme}***@`,
  },
  // A scheme keyword followed by something credential-shaped ("Bearer 0123abcd…", "token=4f9c…").
  {
    pattern: new RegExp(
      String.raw`\b(bearer\s+|basic\s+|(?:access_|refresh_)?token(?:\s+|["']?\s*[:=]\s*["']?))${CREDENTIAL_VALUE}`,
      "gi",
    ),
    replace: (prefix = "") => `${prefix}${REDACTED}`,
  },
];

/**
 * Returns a copy of `text` with tokens, JWTs, PEM private keys, age identities
 * and Authorization values replaced by `[REDACTED]`; ordinary words are kept.
 * Never throws.
 */
export function redactSecrets(text: string): string {
  let redacted = text;
  for (const { pattern, replace } of SECRET_PATTERNS) {
    redacted = redacted.replace(pattern, (_match: string, ...groups: unknown[]) =>
      replace === undefined ? REDACTED : replace(...groups.map((group) => (typeof group === "string" ? group : ""))),
    );
  }
  return redacted;
}
