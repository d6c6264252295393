import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { displayBytes } from "./raw-names.js";
import { scanPath } from "./scan-path.js";
import { testCredentials } from "./test-support/credentials.js";
import { tempDir } from "./test-support/snapshot-fixture.js";
import { walkTree } from "./tree-walk.js";

// Issue 13 item 4: the tree as the kernel sees it. Names are bytes, links are resolved by the kernel.

describe("the walk reads names as bytes", () => {
  const credentials = testCredentials();

  it("keeps two names that differ only in bytes that are not UTF-8 apart, and reads the key in the one that has it", async () => {
    using dir = tempDir();
    const root = Buffer.from(dir.path);
    // b"key-\xff" and b"key-\xfe": as Node strings both are "key-\uFFFD", so one would shadow the other.
    writeFileSync(Buffer.concat([root, Buffer.from("/key-"), Buffer.from([0xff])]), "nothing to see\n");
    writeFileSync(Buffer.concat([root, Buffer.from("/key-"), Buffer.from([0xfe])]), credentials.pem);
    const listing = await walkTree(dir.path);
    expect([...listing.files].map((file) => file.path).sort()).toEqual([
      join(dir.path, "key-\\xfe"),
      join(dir.path, "key-\\xff"),
    ]);
    const result = await scanPath(dir.path, { matcher: credentials.matcher });
    expect(result.findings.map((finding) => finding.path)).toContain(join(dir.path, "key-\\xfe"));
    expect(result.findings.some((finding) => finding.path.endsWith("key-\\xff"))).toBe(false);
    expect(result.gaps).toEqual([]);
  });

  it("walks into a directory whose name is not UTF-8", async () => {
    using dir = tempDir();
    const sub = Buffer.concat([Buffer.from(dir.path), Buffer.from("/caf"), Buffer.from([0xe9])]);
    mkdirSync(sub);
    writeFileSync(Buffer.concat([sub, Buffer.from("/app.pem")]), credentials.pem);
    const result = await scanPath(dir.path, { matcher: credentials.matcher });
    expect(result.findings.map((finding) => finding.path)).toContain(join(dir.path, "caf\\xe9", "app.pem"));
  });

  it("shows bytes exactly and distinctly", () => {
    expect(displayBytes(Buffer.from([0x61, 0xff, 0x5c, 0x0a]))).toBe("a\\xff\\\\\\x0a");
    expect(displayBytes(Buffer.from([0x5c, 0x78, 0x66, 0x66]))).not.toBe(displayBytes(Buffer.from([0xff])));
  });
});

describe("the walk resolves symlinks with the kernel", () => {
  it("reports a chain that leaves the tree although every link looks inside as a string", async () => {
    using dir = tempDir();
    const root = join(dir.path, "t", "r");
    mkdirSync(root, { recursive: true });
    writeFileSync(join(dir.path, "x"), "outside the tree");
    // b -> "." is the root itself; a -> "b/b/../../x" reads as r/x, but the kernel resolves b/b to r, then ../.. to dir.
    symlinkSync(".", join(root, "b"));
    symlinkSync("b/b/../../x", join(root, "a"));
    const listing = await walkTree(root);
    expect(listing.gaps).toEqual([
      { path: join(root, "a"), reason: `symlink-outside-tree: leads to ${join(dir.path, "x")}, not followed` },
    ]);
  });

  it("says nothing of links that stay inside or lead nowhere, and reports a loop", async () => {
    using dir = tempDir();
    writeFileSync(join(dir.path, "file"), "x");
    symlinkSync("file", join(dir.path, "inside"));
    symlinkSync("no-such-file", join(dir.path, "dangling"));
    symlinkSync("loop-b", join(dir.path, "loop-a"));
    symlinkSync("loop-a", join(dir.path, "loop-b"));
    const listing = await walkTree(dir.path);
    expect(listing.gaps.map((gap) => gap.path).sort()).toEqual([join(dir.path, "loop-a"), join(dir.path, "loop-b")]);
    expect(listing.gaps.every((gap) => gap.reason === "unresolvable-symlink: ELOOP (not followed)")).toBe(true);
  });
});
