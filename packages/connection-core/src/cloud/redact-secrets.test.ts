import { generateKeyPairSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import { redactSecrets } from "./redact-secrets.js";

const pem = generateKeyPairSync("rsa", { modulusLength: 1024 }).privateKey.export({ type: "pkcs1", format: "pem" }).toString();

describe("redactSecrets", () => {
  it("redacts a classic installation token", () => {
    expect(redactSecrets("bad ghs_abcdefghijklmnopqrstuvwxyz0123456789 here")).toBe("bad [REDACTED] here");
  });

  it("redacts a ghs_<APPID>_<JWT> token", () => {
    expect(redactSecrets("x ghs_12345_eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOjF9.c2ln-_ y")).toBe("x [REDACTED] y");
  });

  it("redacts PAT and OAuth tokens", () => {
    expect(redactSecrets(`ghp_${"a".repeat(36)} gho_${"b".repeat(36)} github_pat_${"c".repeat(82)}`)).toBe("[REDACTED] [REDACTED] [REDACTED]");
  });

  it("redacts a bare JWT", () => {
    expect(redactSecrets("jwt eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOjF9.c2lnbmF0dXJl!")).toBe("jwt [REDACTED]!");
  });

  it("redacts a PEM private key, including a truncated one", () => {
    expect(redactSecrets(`key: ${pem} end`)).toBe("key: [REDACTED]\n end");
    const truncated = pem.slice(0, 200);
    expect(redactSecrets(`key: ${truncated}`)).toBe("key: [REDACTED]");
  });

  it("redacts Authorization values whatever the scheme", () => {
    expect(redactSecrets("authorization: Bearer abc.def")).toBe("authorization: Bearer [REDACTED]");
    expect(redactSecrets('"authorization":"token 0123abcd"')).toBe('"authorization":"token [REDACTED]"');
  });

  it("leaves ordinary text alone", () => {
    expect(redactSecrets("Not Found (GET /apps/{app_slug})")).toBe("Not Found (GET /apps/{app_slug})");
  });
});
