import { privateNumbers } from "@connect-ops/connection-core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { detectSecrets } from "./detect-secrets.js";
import type { Hit } from "./hit.js";
import { testCredentials } from "./test-support/credentials.js";

const credentials = testCredentials();
const numbers = privateNumbers(credentials.pem);
const signature = credentials.jwtToken.split(".")[2] ?? "";
const BASE64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

function scan(data: Buffer): Hit[] {
  return detectSecrets(data, 0, data.length, data.length, credentials.matcher);
}

const base64Text = (maxLength: number) =>
  fc
    .array(fc.integer({ min: 0, max: 63 }), { maxLength })
    .map((values) => values.map((value) => BASE64URL[value] ?? "").join(""));

describe("detectContent (property)", () => {
  it("finds any 48+ bytes of any private number at a random offset of random bytes", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 4000 }),
        fc.uint8Array({ maxLength: 4000 }),
        fc.nat({ max: numbers.length - 1 }),
        fc.nat(),
        fc.nat(),
        (before, after, which, startSeed, lengthSeed) => {
          const number = numbers[which] ?? Buffer.alloc(0);
          const length = 48 + (lengthSeed % (number.length - 47));
          const start = startSeed % (number.length - length + 1);
          const data = Buffer.concat([before, number.subarray(start, start + length), after]);
          const hits = scan(data).filter((hit) => hit.form === "key-content");
          expect(hits.some((hit) => hit.start <= before.length && hit.end >= before.length + length)).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("finds any 22+ characters of a token's secret part inside random base64url text", () => {
    fc.assert(
      fc.property(
        base64Text(600),
        base64Text(600),
        fc.boolean(),
        fc.nat(),
        fc.nat(),
        (before, after, jwt, startSeed, lengthSeed) => {
          const secret = jwt ? signature : credentials.classicToken.slice(4);
          const length = 22 + (lengthSeed % (secret.length - 21));
          const start = startSeed % (secret.length - length + 1);
          const data = Buffer.from(`${before}${secret.slice(start, start + length)}${after}`);
          const hits = scan(data).filter((hit) => hit.form === "token-content");
          // The span may reach at most three characters past the run: no piece can vouch for those.
          expect(hits.some((hit) => hit.start <= before.length + 3 && hit.end >= before.length + length - 3)).toBe(
            true,
          );
        },
      ),
      { numRuns: 300 },
    );
  });

  it("never finds anything in random bytes or random base64 text alone", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 64 * 1024 }), base64Text(16 * 1024), (bytes, text) => {
        expect(scan(Buffer.from(bytes))).toEqual([]);
        expect(scan(Buffer.from(text))).toEqual([]);
      }),
      { numRuns: 200 },
    );
  });
});
