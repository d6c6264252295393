import { describe, expect, it } from "vitest";
import { BLOCK, looksLikeTar, parseTarHeader, withExtendedHeader, withSize } from "./tar-header.js";
import { firstHeader, paxEntry, tarEntry } from "./test-support/raw-tar.js";
import { run, tempDir, write } from "./test-support/snapshot-fixture.js";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";

describe("tar headers (node-tar Header and Pax)", () => {
  it("parses a GNU tar header and refuses a bad checksum", () => {
    using dir = tempDir();
    write(join(dir.path, "s/etc/conf"), "hello\n");
    run("tar", ["-cf", join(dir.path, "a.tar"), "-C", join(dir.path, "s"), "etc/conf"]);
    const block = readFileSync(join(dir.path, "a.tar")).subarray(0, BLOCK);
    expect(looksLikeTar(block)).toBe(true);
    expect(parseTarHeader(block)).toMatchObject({ name: "etc/conf", size: 6, type: "file", typeFlag: "0" });
    const damaged = Buffer.from(block);
    damaged[0] = damaged.readUInt8(0) ^ 1;
    expect(parseTarHeader(damaged)).toBeUndefined();
    expect(looksLikeTar(damaged)).toBe(false);
  });

  it("reads a header with a base-256 number past 2^53 (a damaged mtime) as corrupt instead of throwing", () => {
    const block = tarEntry({ path: "a" }, Buffer.from("x")).subarray(0, BLOCK);
    block.fill(0xff, 136, 148);
    block[136] = 0x80;
    block.fill(0x20, 148, 156);
    const sum = block.reduce((total, byte) => total + byte, 0);
    block.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148, 8, "latin1");
    expect(parseTarHeader(block)).toBeUndefined();
    expect(looksLikeTar(block)).toBe(false);
  });

  it("changes only the size and checksum of a header, also past 8 GiB (base-256, as GNU tar writes it)", () => {
    using dir = tempDir();
    write(join(dir.path, "s/a"), "x");
    run("tar", ["-cf", join(dir.path, "a.tar"), "-C", join(dir.path, "s"), "a"]);
    const block = readFileSync(join(dir.path, "a.tar")).subarray(0, BLOCK);
    for (const size of [0, 1234, 9 * 1024 ** 3]) {
      const resized = withSize(block, size);
      expect(parseTarHeader(resized)).toMatchObject({ name: "a", size });
      const changed = [...resized.keys()].filter((index) => resized[index] !== block[index]);
      expect(changed.every((index) => (index >= 124 && index < 136) || (index >= 148 && index < 156))).toBe(true);
    }
    // GNU tar itself reads the base-256 size (then misses the 9 GiB of data, which is not there).
    write(join(dir.path, "big.tar"), Buffer.concat([withSize(block, 9 * 1024 ** 3), Buffer.alloc(1024)]));
    expect(spawnSync("tar", ["-tvf", join(dir.path, "big.tar")], { encoding: "utf8" }).stdout).toContain(
      ` ${9 * 1024 ** 3} `,
    );
  });

  it("applies pax records and GNU long names to the entry after them, never to an extended header", () => {
    const pax = paxEntry({ path: "from/pax", size: 40 });
    const overrides = withExtendedHeader({}, "pax", pax.subarray(BLOCK, BLOCK + firstHeader(pax).size));
    expect(overrides).toEqual({ path: "from/pax", size: 40 });
    const longName = tarEntry({ path: "././@LongLink", type: "NextFileHasLongPath" }, Buffer.from("gnu/long/name\0"));
    expect(parseTarHeader(longName.subarray(0, BLOCK), overrides)).toMatchObject({
      type: "gnu-longname",
      size: 14,
      name: "././@LongLink",
    });
    const file = tarEntry({ path: "short", size: 0 });
    expect(parseTarHeader(file.subarray(0, BLOCK), overrides)).toMatchObject({
      type: "file",
      size: 40,
      name: "from/pax",
    });
  });
});
