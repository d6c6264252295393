import { execFileSync } from "node:child_process";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { shellQuote } from "./shell-quote.js";

/** What sh makes of `word` as the argument of printf '%s'. */
const throughSh = (word: string): string => execFileSync("sh", ["-c", `printf '%s' ${word}`], { encoding: "utf8" });

describe("shellQuote", () => {
  it.each([
    ["plain"],
    ["with space"],
    ["it's"],
    ["''"],
    ["$HOME `id` $(id) *"],
    ["line\nbreak"],
    ["-n"],
    [""],
    ["\\'\\"],
  ])("passes %j through sh unchanged", (value) => {
    expect(throughSh(shellQuote(value))).toBe(value);
  });

  it("passes any NUL-free string through sh unchanged", () => {
    fc.assert(
      fc.property(
        fc.string({ unit: "binary" }).filter((value) => !value.includes("\0")),
        (value) => {
          expect(throughSh(shellQuote(value))).toBe(value);
        },
      ),
      { numRuns: 50 },
    );
  });
});
