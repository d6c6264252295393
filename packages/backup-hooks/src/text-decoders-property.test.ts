import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { testCredentials } from "./test-support/credentials.js";
import { TEXT_ENCODERS, embed, scanBytes, type TextEncoder } from "./test-support/text-encoders.js";

const credentials = testCredentials();
const WORDS = [
  "config",
  "user=admin",
  "path: /var/log",
  "value",
  "ok",
  "retry",
  "{",
  "}",
  "42",
  "(x)",
  "id:",
  "é",
  "\t",
];

/** Random text: words, punctuation, line breaks (what surrounds a secret in a log, a config, a dump). */
const text = fc
  .array(fc.tuple(fc.constantFrom(...WORDS), fc.constantFrom(" ", " ", "\n", ", ")), { maxLength: 300 })
  .map((parts) => parts.map(([word, separator]) => `${word}${separator}`).join(""));

/** A stack of 1–3 encoders, UTF-16 at most once (UTF-16 of UTF-16 is not text). */
const stack = fc
  .array(fc.constantFrom(...TEXT_ENCODERS), { minLength: 1, maxLength: 3 })
  .filter((encoders) => encoders.filter((encoder) => encoder.nul === true).length <= 1);

function apply(encoders: readonly TextEncoder[], bytes: Buffer): Buffer {
  return encoders.reduce((inner, encoder) => encoder.encode(inner), bytes);
}

describe("text decoders (property)", () => {
  it("finds a PEM key or a token through a random stack of 1-3 encodings at a random offset of random text", async () => {
    await fc.assert(
      fc.asyncProperty(
        stack,
        fc.constantFrom(credentials.pem, credentials.classicToken, credentials.jwtToken),
        text,
        fc.nat(),
        fc.nat(),
        async (encoders, secret, around, offset, delimiter) => {
          const outer = encoders[encoders.length - 1] ?? encoders[0];
          if (outer === undefined) return;
          const bytes = embed(
            around,
            offset % (around.length + 1),
            apply(encoders, Buffer.from(secret)),
            outer,
            delimiter,
          );
          const { findings, gaps } = await scanBytes(bytes);
          const names = encoders.map((encoder) => encoder.name).join(" → ");
          expect(
            gaps.map((gap) => gap.reason),
            names,
          ).toEqual([]);
          expect(findings.length, encoders.map((encoder) => encoder.name).join(" → ")).toBeGreaterThan(0);
        },
      ),
      { numRuns: 200 },
    );
  }, 120_000);

  it("finds nothing and names no gap in random text, random bytes, or random text through the encodings", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          text.map((value) => Buffer.from(value)),
          fc.uint8Array({ maxLength: 20_000 }).map((bytes) => Buffer.from(bytes)),
          fc.tuple(stack, text).map(([encoders, value]) => apply(encoders, Buffer.from(value))),
        ),
        async (bytes) => {
          // A leading gzip magic makes random bytes a (corrupt) archive: that gap is the gzip layer's, not ours.
          fc.pre(!(bytes[0] === 0x1f && bytes[1] === 0x8b));
          expect(await scanBytes(bytes)).toEqual({ findings: [], gaps: [] });
        },
      ),
      { numRuns: 150 },
    );
  }, 120_000);
});
