import { createHash, generateKeyPairSync } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CoreError } from "./errors.js";
import { parseLicense } from "./license.js";

const { publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
const spki = publicKey.export({ type: "spki", format: "pem" }).toString();
const pkcs1Public = publicKey.export({ type: "pkcs1", format: "pem" }).toString();
const encode = (value: unknown) => new TextEncoder().encode(typeof value === "string" ? value : JSON.stringify(value));

function failure(bytes: Uint8Array): CoreError {
  try {
    parseLicense(bytes, "license.ghl");
  } catch (error) {
    if (error instanceof CoreError) return error;
    throw error;
  }
  throw new Error("expected parseLicense to throw");
}

describe("parseLicense", () => {
  it("reads customer name and public key and hashes the exact bytes", () => {
    const bytes = encode({ customer_name: "Example Corp", public_key: spki, seats: 50 });
    expect(parseLicense(bytes, "license.ghl")).toEqual({
      customerName: "Example Corp",
      publicKeyPem: spki,
      licenseHash: createHash("sha256").update(bytes).digest("hex"),
    });
  });

  it("hashes bytes, not JSON: reformatting the same document changes the hash", () => {
    const document = { customer_name: "Example Corp", public_key: spki };
    const compact = parseLicense(encode(JSON.stringify(document)), "a");
    const pretty = parseLicense(encode(JSON.stringify(document, null, 2)), "b");
    expect(compact.licenseHash).not.toBe(pretty.licenseHash);
  });

  it("normalises a PKCS#1 public key to SPKI PEM", () => {
    expect(parseLicense(encode({ customer_name: "X", public_key: pkcs1Public }), "l").publicKeyPem).toBe(spki);
  });

  it("names each missing field", () => {
    const error = failure(encode({}));
    expect(error.code).toBe("CORE_LICENSE_INVALID");
    expect(error.category).toBe("input");
    expect(error.message).toContain("customer_name");
    expect(error.message).toContain("public_key");
  });

  it("refuses non-JSON, non-UTF-8, a non-object and an unreadable key", () => {
    expect(failure(encode("not json")).message).toMatch(/not valid JSON/);
    expect(failure(new Uint8Array([0xff, 0xfe, 0x00])).message).toMatch(/not UTF-8/);
    expect(failure(encode([1, 2])).code).toBe("CORE_LICENSE_INVALID");
    const broken = "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n";
    expect(failure(encode({ customer_name: "X", public_key: broken })).message).toMatch(/public_key/);
  });

  it("never echoes the file content in the error", () => {
    const secretish = "s3cr3t-customer-VALUE";
    const error = failure(encode({ customer_name: 42, public_key: secretish }));
    expect(`${error.message} ${error.hint ?? ""}`).not.toContain(secretish);
  });

  it("only ever throws CORE_LICENSE_INVALID for arbitrary bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        try {
          parseLicense(bytes, "fuzz");
        } catch (error) {
          expect(error).toBeInstanceOf(CoreError);
          expect((error as CoreError).code).toBe("CORE_LICENSE_INVALID");
        }
      }),
    );
  });
});
