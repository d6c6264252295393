import { describe, expect, it } from "vitest";
import { formatBytes } from "./human-units.js";

describe("formatBytes", () => {
  it("uses binary units with the right unit at each boundary", () => {
    expect(formatBytes(0)).toBe("0 B");
    expect(formatBytes(1023)).toBe("1023 B");
    expect(formatBytes(1024)).toBe("1.00 KiB");
    expect(formatBytes(1536)).toBe("1.50 KiB");
    expect(formatBytes(1024 * 1024 - 1)).toBe("1.00 MiB");
    expect(formatBytes(1000 * 1024)).toBe("1000 KiB");
    expect(formatBytes(1024 * 1024)).toBe("1.00 MiB");
    expect(formatBytes(12.34 * 1024 * 1024)).toBe("12.3 MiB");
    expect(formatBytes(3 * 1024 ** 3)).toBe("3.00 GiB");
    expect(formatBytes(5 * 1024 ** 4)).toBe("5.00 TiB");
  });
});
