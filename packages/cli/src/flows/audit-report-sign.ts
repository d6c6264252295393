import { createPrivateKey, createPublicKey, sign, verify } from "node:crypto";

/** Raw 64-byte Ed25519 signature over `bytes`, as `openssl pkeyutl -sign -rawin` makes it. */
export function signReportBytes(bytes: Uint8Array, privateKeyPem: string): Buffer {
  return sign(null, bytes, createPrivateKey(privateKeyPem));
}

export type SignatureCheck = "valid" | "invalid";

/**
 * Checks a raw Ed25519 signature. A signature of the wrong length or a key
 * that is not Ed25519 is `invalid`; an unreadable public key throws.
 */
export function verifyReportBytes(bytes: Uint8Array, signature: Uint8Array, publicKeyPem: string): SignatureCheck {
  const key = createPublicKey(publicKeyPem);
  if (key.asymmetricKeyType !== "ed25519" || signature.length !== 64) return "invalid";
  return verify(null, bytes, key, signature) ? "valid" : "invalid";
}
