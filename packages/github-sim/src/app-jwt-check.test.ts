import { generateKeyPairSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import { checkAppJwt, JWT_MESSAGES } from "./app-jwt-check.js";
import { signRs256Jwt } from "./jwt.js";
import type { SimApp } from "./sim-state.js";

const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
const other = generateKeyPairSync("rsa", { modulusLength: 2048 });
const app: SimApp = {
  id: 42,
  slug: "connect",
  name: "connect",
  clientId: "Iv23liABC",
  nodeId: "x",
  owner: { type: "organization", login: "octo", id: 1 },
  keys: new Map([[1, { id: 1, publicKey, fingerprint: "SHA256:x" }]]),
  createdAt: "2026-01-01T00:00:00Z",
  recordId: undefined,
  keyRevoked: false,
};
const now = 1_800_000_000;
const find = (issuer: string) => (issuer === "42" || issuer === "Iv23liABC" ? app : undefined);
const check = (token: string) => checkAppJwt(token, now, find);
const jwt = (claims: Record<string, unknown>, key = privateKey) =>
  signRs256Jwt({ iss: 42, iat: now - 30, exp: now + 570, ...claims }, key);

describe("checkAppJwt", () => {
  it("accepts an RS256 JWT signed by the app key with iss as app id or client id", () => {
    expect(check(jwt({})).ok).toBe(true);
    expect(check(jwt({ iss: "Iv23liABC" })).ok).toBe(true);
  });

  it("refuses an expired JWT with GitHub's exp message", () => {
    expect(check(jwt({ iat: now - 700, exp: now - 100 }))).toEqual({ ok: false, message: JWT_MESSAGES.expInvalid });
  });

  it("refuses an exp more than 10 minutes after iat", () => {
    expect(check(jwt({ iat: now, exp: now + 601 }))).toEqual({ ok: false, message: JWT_MESSAGES.expTooFar });
    expect(check(jwt({ iat: now, exp: now + 600 })).ok).toBe(true);
  });

  it("refuses an iat in the future beyond 60 s of drift, and a non-integer iat", () => {
    expect(check(jwt({ iat: now + 61, exp: now + 600 }))).toEqual({ ok: false, message: JWT_MESSAGES.iatInvalid });
    expect(check(jwt({ iat: now + 60, exp: now + 600 })).ok).toBe(true);
    expect(check(jwt({ iat: now - 0.5 }))).toEqual({ ok: false, message: JWT_MESSAGES.iatInvalid });
  });

  it("refuses a JWT signed by another key", () => {
    expect(check(jwt({}, other.privateKey))).toEqual({ ok: false, message: JWT_MESSAGES.undecodable });
  });

  it("refuses a tampered signature, a non-JWT, an unknown issuer and a revoked key", () => {
    const token = jwt({});
    const tampered = `${token.slice(0, -4)}${token.endsWith("AAAA") ? "BBBB" : "AAAA"}`;
    expect(check(tampered)).toEqual({ ok: false, message: JWT_MESSAGES.undecodable });
    expect(check("not-a-jwt")).toEqual({ ok: false, message: JWT_MESSAGES.undecodable });
    expect(check(jwt({ iss: 7 }))).toEqual({ ok: false, message: JWT_MESSAGES.undecodable });
    const revoked = { ...app, keyRevoked: true };
    expect(checkAppJwt(jwt({}), now, () => revoked)).toEqual({ ok: false, message: JWT_MESSAGES.undecodable });
  });

  it("refuses alg none", () => {
    const header = Buffer.from(JSON.stringify({ alg: "none" })).toString("base64url");
    const payload = Buffer.from(JSON.stringify({ iss: 42, iat: now, exp: now + 60 })).toString("base64url");
    expect(check(`${header}.${payload}.`).ok).toBe(false);
  });
});
