import type { VaultMeta } from "./meta.js";

/**
 * A zod-free look at meta.json for the commands that must start fast (a token
 * cache hit, `status --offline`): loading zod costs more than the whole rest
 * of such a run. It accepts only a document whose fields those commands use
 * have the right types; anything else goes to the full schema, which also
 * produces the error message. Every path that decrypts or writes validates
 * with the full schema.
 */
export function looksLikeVaultMeta(value: unknown): value is VaultMeta {
  if (typeof value !== "object" || value === null) return false;
  const meta = value as Record<string, unknown>;
  const optionalString = (key: string) => meta[key] === undefined || typeof meta[key] === "string";
  return (
    meta.format === "connect-ops/vault-meta@1" &&
    Number.isInteger(meta.generation) &&
    (meta.generation as number) >= 0 &&
    typeof meta.sealedSha256 === "string" &&
    /^[0-9a-f]{64}$/.test(meta.sealedSha256) &&
    Array.isArray(meta.recipients) &&
    meta.recipients.length > 0 &&
    meta.recipients.every((recipient) => typeof recipient === "string" && recipient.startsWith("age1")) &&
    typeof meta.updatedAt === "string" &&
    !Number.isNaN(Date.parse(meta.updatedAt)) &&
    (meta.tokenExpiresAt === undefined ||
      (typeof meta.tokenExpiresAt === "string" && !Number.isNaN(Date.parse(meta.tokenExpiresAt)))) &&
    optionalString("keyFingerprint") &&
    optionalString("cloudUrl") &&
    (meta.appId === undefined || Number.isInteger(meta.appId)) &&
    (meta.record === undefined || (typeof meta.record === "object" && meta.record !== null))
  );
}
