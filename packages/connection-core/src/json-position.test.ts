import { describe, expect, it } from "vitest";
import { jsonErrorOffset, jsonErrorWhere } from "./json-position.js";
import { parseJsonText } from "./validate.js";

describe("JSON syntax errors name the line and column", () => {
  it.each([
    ['{"a":}', " (line 1, column 6)"],
    ["{", " (line 1, column 2)"],
    ['{\n  "a": 1,\n  "b" 2\n}', " (line 3, column 7)"],
    ["[1,]", " (line 1, column 4)"],
    ["", " (line 1, column 1)"],
    ['{"nodes": [\n  {"name": "a"},\n  {"name": "b",}\n]}', " (line 3, column 16)"],
    ['{"a": 1} x', " (line 1, column 10)"],
    ['{"a": "tab\there"}', " (line 1, column 7)"],
  ])("%j → %s", (text, where) => {
    expect(jsonErrorWhere(text)).toBe(where);
    expect(() => parseJsonText(text, "inventory.json")).toThrow(`inventory.json is not valid JSON${where}`);
  });

  it("finds nothing in valid JSON (as JSON.parse accepts it)", () => {
    for (const text of ['{"a":[1,-2.5e3,true,false,null,"\\u00e9\\n"]}', " [ ] ", '"x"', "0"]) {
      expect(() => JSON.parse(text) as unknown).not.toThrow();
      expect(jsonErrorOffset(text)).toBeUndefined();
    }
  });

  it("does not echo the text (it may hold a secret)", () => {
    expect(() => parseJsonText('{"token": "ghs_secret" oops}', "config.json")).toThrow(
      /^config\.json is not valid JSON \(line 1, column 24\)$/,
    );
  });
});
