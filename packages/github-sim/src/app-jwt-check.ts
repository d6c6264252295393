import { decodeJwt, hasValidRs256Signature } from "./jwt.js";
import type { SimApp } from "./sim-state.js";

/** GitHub's 401 messages for app JWTs, verbatim: @octokit/auth-app matches on them to detect clock skew. */
export const JWT_MESSAGES = {
  undecodable: "A JSON web token could not be decoded",
  iatInvalid: "'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued",
  expInvalid:
    "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires",
  expTooFar: "'Expiration time' claim ('exp') is too far in the future",
} as const;

/** GitHub tolerates an `iat` up to 60 s ahead of its clock (its docs advise back-dating by 60 s for NTP drift). */
export const IAT_DRIFT_SECONDS = 60;
/** GitHub refuses app JWTs that live longer than 10 minutes. */
export const MAX_JWT_LIFETIME_SECONDS = 600;

export type AppJwtCheck =
  { readonly ok: true; readonly app: SimApp } | { readonly ok: false; readonly message: string };

/**
 * Checks a GitHub App JWT as GitHub does: RS256 signed by the key of the app
 * named in `iss` (app id or client id), `iat` not in the future beyond the
 * drift, `exp` in the future and at most 10 minutes after `iat`.
 */
export function checkAppJwt(
  token: string,
  nowSeconds: number,
  findApp: (issuer: string) => SimApp | undefined,
): AppJwtCheck {
  const jwt = decodeJwt(token);
  if (jwt === undefined) return { ok: false, message: JWT_MESSAGES.undecodable };
  const issuer = jwt.payload["iss"];
  if (typeof issuer !== "string" && typeof issuer !== "number") return { ok: false, message: JWT_MESSAGES.undecodable };
  const app = findApp(String(issuer));
  // GitHub answers a JWT for an unknown app, or signed by another key, with the same "could not be decoded".
  if (
    app === undefined ||
    app.keyRevoked ||
    ![...app.keys.values()].some((key) => hasValidRs256Signature(jwt, key.publicKey))
  ) {
    return { ok: false, message: JWT_MESSAGES.undecodable };
  }
  const { iat, exp } = jwt.payload;
  if (typeof iat !== "number" || !Number.isInteger(iat) || iat > nowSeconds + IAT_DRIFT_SECONDS) {
    return { ok: false, message: JWT_MESSAGES.iatInvalid };
  }
  if (typeof exp !== "number" || !Number.isFinite(exp)) return { ok: false, message: JWT_MESSAGES.expInvalid };
  if (exp - iat > MAX_JWT_LIFETIME_SECONDS) return { ok: false, message: JWT_MESSAGES.expTooFar };
  if (exp <= nowSeconds) return { ok: false, message: JWT_MESSAGES.expInvalid };
  return { ok: true, app };
}
