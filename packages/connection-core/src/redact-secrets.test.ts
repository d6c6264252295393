import { generateKeyPairSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import { redactSecrets } from "./redact-secrets.js";

const rsaPkcs1 = generateKeyPairSync("rsa", { modulusLength: 1024 })
  .privateKey.export({ type: "pkcs1", format: "pem" })
  .toString();
const rsaPkcs8 = generateKeyPairSync("rsa", { modulusLength: 1024 })
  .privateKey.export({ type: "pkcs8", format: "pem" })
  .toString();
const ecSec1 = generateKeyPairSync("ec", { namedCurve: "P-256" })
  .privateKey.export({ type: "sec1", format: "pem" })
  .toString();
const encrypted = generateKeyPairSync("ed25519")
  .privateKey.export({ type: "pkcs8", format: "pem", cipher: "aes-256-cbc", passphrase: "test-only" })
  .toString();
const armour = (label: string) => `-----BEGIN ${label}-----\nAAAAB3NzaC1yc2EAAAADAQAB\n-----END ${label}-----`;
const jwt = "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOjF9.c2lnbmF0dXJl";

describe("redactSecrets", () => {
  const secrets: ReadonlyArray<readonly [string, string, string]> = [
    ["a PKCS#1 RSA key", `key: ${rsaPkcs1} end`, "key: [REDACTED]\n end"],
    ["a PKCS#8 key", `key: ${rsaPkcs8}`, "key: [REDACTED]\n"],
    ["an EC key", `key: ${ecSec1}`, "key: [REDACTED]\n"],
    ["an encrypted PKCS#8 key", `key: ${encrypted}`, "key: [REDACTED]\n"],
    ["an OpenSSH key", `k ${armour("OPENSSH PRIVATE KEY")} k`, "k [REDACTED] k"],
    ["a DSA key", `k ${armour("DSA PRIVATE KEY")} k`, "k [REDACTED] k"],
    ["a PGP private key block", `k ${armour("PGP PRIVATE KEY BLOCK")} k`, "k [REDACTED] k"],
    ["a truncated PEM key", `key: ${rsaPkcs1.slice(0, 200)}`, "key: [REDACTED]"],
    ["an installation token", "bad ghs_abcdefghijklmnopqrstuvwxyz0123456789 here", "bad [REDACTED] here"],
    ["a ghs_<APPID>_<JWT> token", "x ghs_12345_eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOjF9.c2ln-_ y", "x [REDACTED] y"],
    ["a classic PAT", `t=ghp_${"a".repeat(36)};`, "t=[REDACTED];"],
    ["an OAuth token", `gho_${"b".repeat(36)}`, "[REDACTED]"],
    ["a user-to-server token", `ghu_${"c".repeat(36)}`, "[REDACTED]"],
    ["a refresh token", `ghr_${"d".repeat(36)}`, "[REDACTED]"],
    ["a fine-grained PAT", `github_pat_${"e".repeat(82)}`, "[REDACTED]"],
    ["a bare JWT", `jwt ${jwt}!`, "jwt [REDACTED]!"],
    [
      "an age identity",
      "id AGE-SECRET-KEY-1QYQSZQGPQYQSZQGPQYQSZQGPQYQSZQGPQYQSZQGPQYQSZQGPQYQS0Z4VLH ok",
      "id [REDACTED] ok",
    ],
    ["an Authorization header with Bearer", "authorization: Bearer abc.def", "authorization: Bearer [REDACTED]"],
    ["an Authorization header with token", '"authorization":"token 0123abcd"', '"authorization":"token [REDACTED]"'],
    ["an Authorization header with Basic", "Authorization: Basic dXNlcjpwYXNz", "Authorization: Basic [REDACTED]"],
    ["an Authorization value without scheme", "authorization=s3cr3t-value", "authorization=[REDACTED]"],
    ["a Bearer value in prose", "sent Bearer 0123456789abcdef to the API", "sent Bearer [REDACTED] to the API"],
    ["a token value in prose", "using token 4f9c0a1b2c3d4e5f", "using token [REDACTED]"],
    ["a token=value pair", "url?access_token=4f9c0a1b2c3d&x=1", "url?access_token=[REDACTED]&x=1"],
  ];

  it.each(secrets)("redacts %s", (_name, input, expected) => {
    expect(redactSecrets(input)).toBe(expected);
  });

  const ordinary = [
    "A JSON web token could not be decoded",
    "token expired",
    "the token field",
    "the token is valid for one hour; mint a new token after it expires",
    "Bearer of bad news: the basic plan has no app",
    "authorization failed for the installation",
    "Not Found (GET /apps/{app_slug})",
    "ghs_ tokens start with a prefix",
    "run `connect-ops token --refresh` and retry",
    "private key missing: run connect-ops rotate-key",
    "-----BEGIN PUBLIC KEY----- is not a secret",
    "age recipient age1qyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqs3290gq",
  ];

  it.each(ordinary)("leaves ordinary text unchanged: %s", (sentence) => {
    expect(redactSecrets(sentence)).toBe(sentence);
  });

  it("returns a copy and never touches the input", () => {
    const input = `token ${jwt}`;
    expect(redactSecrets(input)).toBe("token [REDACTED]");
    expect(input).toBe(`token ${jwt}`);
  });
});

describe("redactSecrets: credentials in URLs", () => {
  it.each([
    ["proxy http://ops:pw-123@127.0.0.1:3128 refused", "proxy http://***@127.0.0.1:3128 refused"],
    ["HTTPS_PROXY=https://only-user@proxy.corp:8080/", "HTTPS_PROXY=https://***@proxy.corp:8080/"],
    ["plain http://proxy.corp:3128 stays", "plain http://proxy.corp:3128 stays"],
  ])("%s", (input, expected) => {
    expect(redactSecrets(input)).toBe(expected);
  });
});
