/**
 * Last line of defence for text that leaves the process (error messages from
 * libraries we do not control): removes anything shaped like a credential.
 * Typed errors of our own never carry secrets; this catches the rest.
 */
const PATTERNS: readonly RegExp[] = [
  /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(-----END [A-Z ]*PRIVATE KEY-----|$)/g,
  /\bghs_[A-Za-z0-9_.-]{20,}/g,
  /\b(ghp|gho|ghu|ghr)_[A-Za-z0-9]{20,}/g,
  /\bgithub_pat_[A-Za-z0-9_]{20,}/g,
  /\beyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]*/g,
  /\bAGE-SECRET-KEY-1[0-9A-Z]+/g,
  /(authorization["']?\s*[:=]\s*["']?)(bearer|token)?\s*[^\s"',}]+/gi,
];

export function redactText(text: string): string {
  let result = text;
  for (const pattern of PATTERNS) {
    result = result.replace(pattern, (match, prefix?: string) =>
      typeof prefix === "string" && /authorization/i.test(prefix) ? `${prefix}[REDACTED]` : "[REDACTED]",
    );
  }
  return result;
}
