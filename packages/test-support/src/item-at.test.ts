import { describe, expect, it } from "vitest";
import { itemAt } from "./item-at.js";

describe("itemAt", () => {
  it("returns the item at an index and throws a clear error past the end", () => {
    expect(itemAt(["a", "b"], 1)).toBe("b");
    expect(itemAt(Buffer.from([7]), 0)).toBe(7);
    expect(() => itemAt(["a"], 1)).toThrow("expected an item at index 1, the list has 1");
  });
});
