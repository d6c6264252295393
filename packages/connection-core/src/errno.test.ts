import { describe, expect, it } from "vitest";
import { errnoCode, ignoreMissing } from "./errno.js";

const failure = (code: string): Error => Object.assign(new Error(`${code}: failed`), { code });

describe("ignoreMissing", () => {
  it("passes a value through", async () => {
    expect(await ignoreMissing(Promise.resolve(7))).toBe(7);
  });

  it("turns ENOENT into undefined", async () => {
    expect(await ignoreMissing(Promise.reject<string>(failure("ENOENT")))).toBeUndefined();
  });

  it("rethrows every other failure unchanged", async () => {
    const denied = failure("EACCES");
    await expect(ignoreMissing(Promise.reject(denied))).rejects.toBe(denied);
    const bug = new TypeError("not a file-system error");
    await expect(ignoreMissing(Promise.reject(bug))).rejects.toBe(bug);
  });
});

describe("errnoCode", () => {
  it("reads the code of a system error and nothing else", () => {
    expect(errnoCode(failure("EIO"))).toBe("EIO");
    expect(errnoCode(new Error("plain"))).toBeUndefined();
    expect(errnoCode(undefined)).toBeUndefined();
    expect(errnoCode({ code: 5 })).toBeUndefined();
  });
});
