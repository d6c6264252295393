// Everything that could carry a credential in text GitHub or the network sends back.
const SECRET_PATTERNS: readonly RegExp[] = [
  /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(-----END [A-Z ]*PRIVATE KEY-----|$)/g,
  /\b(?:ghs|ghp|gho|ghu|ghr)_[A-Za-z0-9_.-]+/g,
  /\bgithub_pat_[A-Za-z0-9_]+/g,
  /\beyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*/g,
  /\b(bearer|token|basic)\s+[^\s"',;]+/gi,
];

/**
 * Returns a copy of `text` with tokens, JWTs, PEM keys and Authorization
 * values replaced by `[REDACTED]`. Used on every string from outside that
 * goes into an error.
 */
export function redactSecrets(text: string): string {
  let redacted = text;
  for (const pattern of SECRET_PATTERNS) {
    redacted = redacted.replace(pattern, (match, scheme: unknown) =>
      typeof scheme === "string" && /^(bearer|token|basic)$/i.test(scheme) ? `${scheme} [REDACTED]` : "[REDACTED]",
    );
  }
  return redacted;
}
