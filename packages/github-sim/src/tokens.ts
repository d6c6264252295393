import { createHash, randomBytes, randomInt, type KeyObject } from "node:crypto";
import { signRs256Jwt } from "./jwt.js";

/** Which installation-token format the sim issues (GitHub's `X-GitHub-Stateless-S2S-Token` header picks one). */
export type TokenFormat = "stateless" | "classic";

const ALPHANUMERIC = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/** `length` random characters from [A-Za-z0-9]. */
export function randomAlphanumeric(length: number): string {
  let text = "";
  for (let index = 0; index < length; index += 1) text += ALPHANUMERIC.charAt(randomInt(ALPHANUMERIC.length));
  return text;
}

/** The classic 40-character installation token: `ghs_` + 36 alphanumerics. */
export function classicInstallationToken(): string {
  return `ghs_${randomAlphanumeric(36)}`;
}

/**
 * The newer `ghs_<APPID>_<JWT>` form (several hundred characters, variable):
 * the JWT is really signed by the sim's own key, so its length and alphabet
 * are what clients meet on GitHub.
 */
export function statelessInstallationToken(
  signingKey: KeyObject,
  claims: { appId: number; installationId: number; issuedAtSeconds: number; expiresAtSeconds: number },
): string {
  const jwt = signRs256Jwt(
    {
      iss: "github-sim",
      app_id: claims.appId,
      installation_id: claims.installationId,
      iat: claims.issuedAtSeconds,
      exp: claims.expiresAtSeconds,
      jti: randomBytes(12).toString("hex"),
    },
    signingKey,
  );
  return `ghs_${claims.appId}_${jwt}`;
}

/** The sim keeps only digests of the tokens it issued, never the tokens. */
export function tokenDigest(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

/** Token prefixes GitHub uses for personal access and OAuth tokens, which the sim accepts as cloud admin tokens. */
export function looksLikeAdminToken(token: string): boolean {
  return /^(ghp_|gho_)[A-Za-z0-9]{36}$/.test(token) || /^github_pat_[A-Za-z0-9_]{22,255}$/.test(token);
}

/** A fresh token of the `ghp_` shape, accepted by a sim that has no pinned admin token. */
export function newAdminToken(): string {
  return `ghp_${randomAlphanumeric(36)}`;
}
