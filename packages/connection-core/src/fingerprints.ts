import { createHash, createHmac, createPrivateKey, createPublicKey, type KeyObject } from "node:crypto";
import * as z from "zod";
import { createContentIndex, type ContentIndex } from "./content-index.js";
import { contentPiecesSchema, deriveContentPieces, withTokenPieces } from "./content-pieces.js";
import { CoreError } from "./errors.js";

/**
 * Secret-free fingerprints of the credentials (ARCHITECTURE.md invariant 2).
 *
 * - `keyFingerprint` is the App key's fingerprint exactly as GitHub shows it:
 *   `SHA256:` + base64 of the SHA-256 of the public key's DER (SPKI) encoding.
 *   It is public information; any private key a scanner meets can be parsed and
 *   compared with it, whatever its encoding (PKCS#1, PKCS#8, escaped, base64).
 * - `pemLineHashes` are salted HMAC-SHA256 digests of each full line of the PEM
 *   body, so a fragment of the key (one line in an SQL dump) is recognised.
 *   Each line carries ~48 random bytes, so the digests cannot be inverted.
 * - `tokenHashes` are salted digests of every installation token minted, in
 *   both formats. Tokens are high-entropy; their digests rebuild nothing.
 * - `content` (v2, optional: sets written before it load and match as they
 *   did) holds pieces of the secret content itself: the key's private numbers
 *   and each token's unpredictable part, so a scan finds them in any encoding
 *   (content-pieces.ts; the construction is in docs/security-model.md).
 */
export const residueFingerprintsSchema = z.object({
  id: z.string().regex(/^fp-[0-9a-f]{12}$/),
  salt: z.string().min(16),
  appId: z.number().int().positive(),
  keyFingerprint: z.string().startsWith("SHA256:"),
  pemLineHashes: z.array(z.string().regex(/^[0-9a-f]{32}$/)),
  tokenHashes: z.array(z.string().regex(/^[0-9a-f]{32}$/)),
  content: contentPiecesSchema.optional(),
  /** Salted digests of age identities (`AGE-SECRET-KEY-1…`) a shred destroyed: one found anywhere is residue. */
  identityHashes: z.array(z.string().regex(/^[0-9a-f]{32}$/)).optional(),
});
export type ResidueFingerprints = z.infer<typeof residueFingerprintsSchema>;

/** How many token digests are kept: about six weeks of hourly tokens. */
export const MAX_TOKEN_HASHES = 1000;

/** PEM body lines shorter than this are too short to identify a key on their own. */
const MIN_PEM_LINE = 32;

function loadPrivateKey(pem: string): KeyObject {
  try {
    return createPrivateKey({ key: pem, format: "pem" });
  } catch (error) {
    throw new CoreError("CORE_KEY_INVALID", "the App private key is not a readable PEM private key", {
      category: "input",
      hint: "use the PEM file GitHub issued for the App (BEGIN RSA PRIVATE KEY)",
      cause: error instanceof Error ? new Error(error.message.split("\n")[0]) : undefined,
    });
  }
}

/** GitHub's fingerprint of a key object (public or private). */
export function fingerprintOfKey(key: KeyObject): string {
  const publicKey = key.type === "public" ? key : createPublicKey(key);
  const der = publicKey.export({ type: "spki", format: "der" });
  return `SHA256:${createHash("sha256").update(der).digest("base64")}`;
}

/**
 * GitHub's fingerprint of the App key (as on the App settings page).
 * Throws `CORE_KEY_INVALID` when the PEM cannot be parsed.
 */
export function keyFingerprint(privateKeyPem: string): string {
  return fingerprintOfKey(loadPrivateKey(privateKeyPem));
}

/** The base64 body lines of a PEM document, trimmed, without the armour lines. */
export function pemBodyLines(pem: string): string[] {
  return pem
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line.length > 0 && !line.startsWith("-----"));
}

/** Salted digest used for every residue comparison (32 hex characters). */
export function residueDigest(salt: string, value: string): string {
  return createHmac("sha256", salt).update(value).digest("hex").slice(0, 32);
}

export interface DeriveFingerprintsInput {
  readonly appId: number;
  readonly privateKeyPem: string;
  readonly tokens: readonly string[];
  /** 16+ random bytes; the caller injects randomness so tests are exact. */
  readonly saltBytes: Uint8Array;
}

/** Derives the residue fingerprints at connect time. Throws `CORE_KEY_INVALID` for an unreadable key. */
export function deriveResidueFingerprints(input: DeriveFingerprintsInput): ResidueFingerprints {
  const salt = Buffer.from(input.saltBytes).toString("base64");
  const fingerprint = keyFingerprint(input.privateKeyPem);
  const lines = pemBodyLines(input.privateKeyPem).filter((line) => line.length >= MIN_PEM_LINE);
  return {
    id: `fp-${createHash("sha256").update(`${salt}\0${fingerprint}`).digest("hex").slice(0, 12)}`,
    salt,
    appId: input.appId,
    keyFingerprint: fingerprint,
    pemLineHashes: [...new Set(lines.map((line) => residueDigest(salt, line)))],
    tokenHashes: [...new Set(input.tokens.map((token) => residueDigest(salt, token)))],
    content: deriveContentPieces(input.privateKeyPem, input.tokens, salt),
  };
}

/**
 * Returns a copy of `fingerprints` that also recognises `token` (newest first,
 * bounded). A v1 set (no `content`) stays v1: its pieces would need the key.
 */
export function withTokenFingerprint(fingerprints: ResidueFingerprints, token: string): ResidueFingerprints {
  const digest = residueDigest(fingerprints.salt, token);
  const rest = fingerprints.tokenHashes.filter((existing) => existing !== digest);
  return {
    ...fingerprints,
    tokenHashes: [digest, ...rest].slice(0, MAX_TOKEN_HASHES),
    ...(fingerprints.content === undefined
      ? {}
      : { content: withTokenPieces(fingerprints.content, token, fingerprints.salt) }),
  };
}

/** A copy of `fingerprints` that also recognises each age identity in `identities` (before they are destroyed). */
export function withIdentityFingerprints(
  fingerprints: ResidueFingerprints,
  identities: readonly string[],
): ResidueFingerprints {
  const digests = identities.map((identity) => residueDigest(fingerprints.salt, identity));
  return { ...fingerprints, identityHashes: [...new Set([...(fingerprints.identityHashes ?? []), ...digests])] };
}

/**
 * Recognises residue of any of several fingerprint sets (one per connection
 * the appliance ever had). Each method returns the matching set's id, or
 * undefined. Lookups are hash-set probes: one HMAC per set and candidate.
 */
export interface ResidueMatcher {
  readonly ids: readonly string[];
  /** The sets it was made from (secret-free): what a scan thread rebuilds its own matcher from. */
  readonly sets: readonly ResidueFingerprints[];
  /** A PEM body line, already unescaped and trimmed. */
  matchPemLine(line: string): string | undefined;
  /** A `ghs_…` token candidate. */
  matchToken(candidate: string): string | undefined;
  /** A key fingerprint in GitHub's `SHA256:…` form. */
  matchKeyFingerprint(fingerprint: string): string | undefined;
  /** An `AGE-SECRET-KEY-1…` candidate (a shredded identity); optional so older matchers need not know it. */
  matchAgeIdentity?(candidate: string): string | undefined;
  /** The content pieces of every v2 set (private numbers, token secrets), or undefined when no set has them. */
  readonly content: ContentIndex | undefined;
}

export function createResidueMatcher(sets: readonly ResidueFingerprints[]): ResidueMatcher {
  const prepared = sets.map((set) => ({
    set,
    pemLines: new Set(set.pemLineHashes),
    tokens: new Set(set.tokenHashes),
    identities: new Set(set.identityHashes ?? []),
  }));
  return {
    ids: sets.map((set) => set.id),
    sets,
    matchPemLine(line) {
      if (line.length < MIN_PEM_LINE) return undefined;
      return prepared.find((entry) => entry.pemLines.has(residueDigest(entry.set.salt, line)))?.set.id;
    },
    matchToken(candidate) {
      return prepared.find((entry) => entry.tokens.has(residueDigest(entry.set.salt, candidate)))?.set.id;
    },
    matchKeyFingerprint(fingerprint) {
      return prepared.find((entry) => entry.set.keyFingerprint === fingerprint)?.set.id;
    },
    matchAgeIdentity(candidate) {
      return prepared.find((entry) => entry.identities.has(residueDigest(entry.set.salt, candidate)))?.set.id;
    },
    content: createContentIndex(sets),
  };
}
