import { describe, expect, it } from "vitest";
import { cliErrorOf, parseJsonOutput } from "./json-output.js";

const generation = {
  parse(value: unknown): { generation: number } {
    const { generation } = value as { generation?: unknown };
    if (typeof generation !== "number") throw new Error("generation is not a number");
    return { generation };
  },
};

describe("parseJsonOutput", () => {
  it("returns the document as the shape parsed it", () => {
    expect(parseJsonOutput(generation, '{"generation": 3, "other": true}')).toEqual({ generation: 3 });
  });

  it("fails with the printed text when it is not JSON", () => {
    expect(() => parseJsonOutput(generation, "error[X]: no")).toThrow("expected one JSON document, got: error[X]: no");
  });

  it("fails with the document when the shape refuses it", () => {
    expect(() => parseJsonOutput(generation, '{"generation": "3"}')).toThrow(
      'does not have the expected shape: {"generation": "3"}',
    );
  });
});

describe("cliErrorOf", () => {
  it("reads code, message and hint of a --json error", () => {
    expect(cliErrorOf('{"error": {"code": "CLI_USAGE", "message": "bad", "hint": "fix"}}')).toEqual({
      code: "CLI_USAGE",
      message: "bad",
      hint: "fix",
    });
  });

  it("refuses a success document", () => {
    expect(() => cliErrorOf('{"minted": true}')).toThrow("does not have the expected shape");
  });
});
