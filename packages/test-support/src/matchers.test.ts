import { describe, expect, it } from "vitest";
import { anyNumber, anyString, stringContaining, stringMatching, stringNotContaining } from "./matchers.js";

describe("typed matchers", () => {
  it("match what vitest's asymmetric matchers match, inside expected objects", () => {
    const gap = { reason: "corrupt-tar: truncated", member: "a", size: 3 };
    expect(gap).toEqual({ reason: stringMatching(/^corrupt-tar/), member: anyString(), size: anyNumber() });
    expect(gap).toMatchObject({ reason: stringContaining("truncated") });
    expect(gap).toMatchObject({ reason: stringNotContaining("secret") });
    expect(gap).not.toMatchObject({ reason: stringMatching(/^corrupt-gzip/) });
    expect(gap).not.toMatchObject({ size: anyString() });
  });
});
