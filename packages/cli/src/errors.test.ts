import { describe, expect, it } from "vitest";
import { errorJson, formatError, internalDetail, usageError } from "./errors.js";

// A foreign error of the kind Node's ESM linker throws: a first line, then whole lines of source.
const linkError = new SyntaxError(
  `Named export 'utils' not found. The requested module 'ssh2' is a CommonJS module\n\nimport pkg from 'ssh2';\nconst {${"x".repeat(5000)}} = pkg;`,
);

describe("internal errors on the terminal and in --json", () => {
  it("show the first line only, bounded, and point at --log-level debug for the rest", () => {
    const line = formatError(linkError);
    expect(line).not.toContain("\n");
    expect(line).not.toContain("xxxx");
    expect(line).toMatch(/^error\[CLI_INTERNAL\]: Named export 'utils' not found\. .*\(more with --log-level debug\)/);
    const json = errorJson(linkError).error;
    expect(json.code).toBe("CLI_INTERNAL");
    expect(json.message).not.toContain("\n");
    expect(json.message.length).toBeLessThan(400);
  });

  it("bound a one-line message too, and leave a short one as it is", () => {
    expect(formatError(new Error("y".repeat(2000))).length).toBeLessThan(500);
    expect(formatError(new Error("disk full"))).toBe(
      "error[CLI_INTERNAL]: disk full — this is a bug in connect-ops; re-run with --log-level debug and report it",
    );
  });

  it("keep the whole message and stack for --log-level debug", () => {
    const detail = internalDetail(linkError);
    expect(detail).toContain("x".repeat(5000));
    expect(detail).toContain("errors.test.ts");
  });

  it("redact a token in a foreign message", () => {
    const token = `ghs_${"A1b2C3d4E5".repeat(4)}`;
    expect(formatError(new Error(`bad header ${token}`))).not.toContain(token);
    expect(internalDetail(new Error(`bad header ${token}`))).not.toContain(token);
  });

  it("leave our own coded errors whole", () => {
    expect(formatError(usageError("--concurrency must be a whole number", "pass e.g. --concurrency 4"))).toBe(
      "error[CLI_USAGE]: --concurrency must be a whole number — pass e.g. --concurrency 4",
    );
  });
});
