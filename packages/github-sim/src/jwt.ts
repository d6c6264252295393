import { createPublicKey, sign, verify, type KeyObject } from "node:crypto";

/** A decoded, signature-checked-or-not JSON web token. */
export interface DecodedJwt {
  readonly header: Record<string, unknown>;
  readonly payload: Record<string, unknown>;
  readonly signingInput: string;
  readonly signature: Buffer;
}

function base64UrlJson(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString("base64url");
}

/** Signs `payload` as an RS256 JWT with `privateKey` (any PEM form node:crypto reads). */
export function signRs256Jwt(payload: Record<string, unknown>, privateKey: KeyObject | string): string {
  const signingInput = `${base64UrlJson({ alg: "RS256", typ: "JWT" })}.${base64UrlJson(payload)}`;
  const signature = sign("sha256", Buffer.from(signingInput), privateKey).toString("base64url");
  return `${signingInput}.${signature}`;
}

function parseJsonSegment(segment: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(segment, "base64url").toString("utf8"));
    return typeof value === "object" && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch (error) {
    // A segment that is not JSON makes the JWT invalid (401), as on GitHub; anything else is a simulator bug.
    if (error instanceof SyntaxError) return undefined;
    throw error;
  }
}

/** Splits and decodes a compact JWT without checking it; undefined when it is not one. */
export function decodeJwt(token: string): DecodedJwt | undefined {
  const parts = token.split(".");
  if (parts.length !== 3) return undefined;
  const [headerPart, payloadPart, signaturePart] = parts as [string, string, string];
  const header = parseJsonSegment(headerPart);
  const payload = parseJsonSegment(payloadPart);
  if (header === undefined || payload === undefined || !/^[A-Za-z0-9_-]+$/.test(signaturePart)) return undefined;
  return {
    header,
    payload,
    signingInput: `${headerPart}.${payloadPart}`,
    signature: Buffer.from(signaturePart, "base64url"),
  };
}

/** True when `jwt` is RS256 and its signature verifies with `publicKey`. */
export function hasValidRs256Signature(jwt: DecodedJwt, publicKey: KeyObject | string): boolean {
  if (jwt.header["alg"] !== "RS256") return false;
  const key = typeof publicKey === "string" ? createPublicKey(publicKey) : publicKey;
  return verify("sha256", Buffer.from(jwt.signingInput), key, jwt.signature);
}
