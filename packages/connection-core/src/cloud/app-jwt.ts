import { createPrivateKey, sign, type KeyObject } from "node:crypto";
import { CoreError } from "../errors.js";

/** GitHub refuses JWTs living longer than 10 minutes; back-dating `iat` 30 s absorbs small drift, as universal-github-app-jwt does. */
const BACKDATE_SECONDS = 30;
const LIFETIME_SECONDS = 600;

/** Reads a PEM private key (PKCS#1 as GitHub issues it, or PKCS#8); throws `CORE_KEY_INVALID` without echoing it. */
export function readAppPrivateKey(privateKeyPem: string): KeyObject {
  try {
    // `.env` files often carry the key with literal "\n"; fix them like @octokit/auth-app does.
    return createPrivateKey(privateKeyPem.includes("\\n") ? privateKeyPem.replace(/\\n/g, "\n") : privateKeyPem);
  } catch {
    // Replaced, not swallowed: no cause attached, so nothing derived from the key can reach a message.
    throw new CoreError("CORE_KEY_INVALID", "the GitHub App private key could not be read as a PEM RSA key", {
      category: "input",
      hint: "the key must be the PEM GitHub returned when the app was created (BEGIN RSA PRIVATE KEY); if it was lost, disconnect and connect again",
    });
  }
}

/**
 * Signs an RS256 app JWT (`iss` = app id) on the server's time `serverNowMs`.
 * Returns the JWT and its expiry as @octokit/auth-app's `createJwt` expects.
 */
export function createAppJwt(
  appId: number | string,
  key: KeyObject,
  serverNowMs: number,
): { jwt: string; expiresAt: string } {
  const iat = Math.floor(serverNowMs / 1000) - BACKDATE_SECONDS;
  const exp = iat + LIFETIME_SECONDS;
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
  const signingInput = `${encode({ alg: "RS256", typ: "JWT" })}.${encode({ iat, exp, iss: Number.isNaN(Number(appId)) ? appId : Number(appId) })}`;
  const signature = sign("sha256", Buffer.from(signingInput), key).toString("base64url");
  return { jwt: `${signingInput}.${signature}`, expiresAt: new Date(exp * 1000).toISOString() };
}
