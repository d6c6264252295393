import { createHash, createPublicKey, generateKeyPair, type KeyObject } from "node:crypto";
import { promisify } from "node:util";

const generateRsaKeyPair = promisify(generateKeyPair);

/** GitHub allows at most 25 private keys per App (docs: managing private keys for GitHub Apps). */
export const MAX_APP_KEYS = 25;

/** One of an App's private keys as GitHub keeps it: only the public half and its fingerprint. */
export interface SimAppKey {
  readonly id: number;
  readonly publicKey: KeyObject;
  /** `SHA256:` + base64 of the SHA-256 of the public key's DER, as the settings page shows it. */
  readonly fingerprint: string;
}

/** A fresh 2048-bit RSA key: the public half for the sim, the PKCS#1 PEM for whoever "downloads" it. */
export async function generateAppKey(): Promise<{ publicKey: KeyObject; pem: string; fingerprint: string }> {
  const { privateKey } = await generateRsaKeyPair("rsa", { modulusLength: 2048 });
  const publicKey = createPublicKey(privateKey);
  // GitHub hands out PKCS#1 ("BEGIN RSA PRIVATE KEY"), not PKCS#8.
  const pem = privateKey.export({ type: "pkcs1", format: "pem" }).toString();
  return { publicKey, pem, fingerprint: publicKeyFingerprint(publicKey) };
}

/** `openssl rsa -pubout -outform DER | openssl sha256 -binary | openssl base64`, prefixed `SHA256:`. */
export function publicKeyFingerprint(publicKey: KeyObject): string {
  const der = publicKey.export({ type: "spki", format: "der" });
  return `SHA256:${createHash("sha256").update(der).digest("base64")}`;
}
