import { readdirSync, readFileSync, symlinkSync, truncateSync, statSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { stringMatching } from "@connect-ops/test-support";
import { describe, expect, it } from "vitest";
import { assertWritableInside } from "./path-guard.js";
import { redactSnapshot } from "./redact-snapshot.js";
import { scanPath } from "./scan-path.js";
import { testCredentials } from "./test-support/credentials.js";
import { rawTar, tarEntry } from "./test-support/raw-tar.js";
import { NEW_ID, gnuTar, gzipFile, run, tempDir, write } from "./test-support/snapshot-fixture.js";

const credentials = testCredentials();

/** A snapshot dir with a sibling `outside` dir whose listing must never change. */
function hostileSnapshot(root: string): { snapshot: string; staging: string; outsideListing: () => string[] } {
  const snapshot = join(root, "data", NEW_ID);
  const staging = join(root, "staging");
  mkdirSync(snapshot, { recursive: true });
  mkdirSync(join(root, "outside"), { recursive: true });
  const outsideListing = (): string[] =>
    readdirSync(root, { recursive: true })
      .map(String)
      .filter((path) => !path.startsWith("data"))
      .sort();
  return { snapshot, staging, outsideListing };
}

async function redactAndCheckNothingEscaped(snapshot: string, outsideListing: () => string[]): Promise<void> {
  const before = outsideListing();
  await redactSnapshot(snapshot, { matcher: credentials.matcher }).catch((error: unknown) => {
    expect(error).toMatchObject({ code: stringMatching(/^BACKUP_/) });
  });
  expect(outsideListing()).toEqual(before);
}

describe("hostile archives", () => {
  it("scans a member named with `..` as a gap and redacts it without writing outside", async () => {
    using dir = tempDir();
    const { snapshot, staging, outsideListing } = hostileSnapshot(dir.path);
    write(join(staging, "secret"), credentials.classicToken);
    run("tar", [
      "-cf",
      join(snapshot, "evil.tar"),
      "-P",
      "--transform",
      "s,^secret,../../outside/secret,",
      "-C",
      staging,
      "secret",
    ]);
    const result = await scanPath(snapshot, { matcher: credentials.matcher });
    expect(result.gaps).toContainEqual(
      expect.objectContaining({ member: "../../outside/secret", reason: stringMatching(/^unsafe-member-path/) }),
    );
    expect(result.findings).toContainEqual(expect.objectContaining({ member: "../../outside/secret", form: "token" }));
    await redactAndCheckNothingEscaped(snapshot, outsideListing);
    expect((await scanPath(snapshot, { matcher: credentials.matcher })).findings).toEqual([]);
    run("tar", ["-tvf", join(snapshot, "evil.tar")]);
  });

  it("scans a member with an absolute path as a gap", async () => {
    using dir = tempDir();
    const { snapshot, staging, outsideListing } = hostileSnapshot(dir.path);
    write(join(staging, "secret"), credentials.classicToken);
    run("tar", [
      "-cf",
      join(snapshot, "abs.tar"),
      "-P",
      "--transform",
      `s,^secret,${dir.path}/outside/abs-secret,`,
      "-C",
      staging,
      "secret",
    ]);
    const result = await scanPath(snapshot, { matcher: credentials.matcher });
    expect(result.gaps).toContainEqual(expect.objectContaining({ reason: stringMatching(/^unsafe-member-path/) }));
    await redactAndCheckNothingEscaped(snapshot, outsideListing);
  });

  it.each([
    {
      kind: "symlink",
      member: "link",
      build: (snapshot: string, staging: string) => {
        mkdirSync(staging, { recursive: true });
        symlinkSync("../../../outside/target", join(staging, "link"));
        gnuTar(join(snapshot, "links.tar"), staging, ["link"]);
      },
    },
    {
      kind: "hardlink",
      member: "h",
      // GNU tar refuses to write a hard link leaving the archive: node-tar's Header builds it.
      build: (snapshot: string) => {
        write(
          join(snapshot, "hard.tar"),
          rawTar([
            tarEntry({ path: "h", type: "Link", linkpath: "../../outside/passwd" }),
            tarEntry({ path: "plain" }, Buffer.from("hello")),
          ]),
        );
        run("tar", ["-tvf", join(snapshot, "hard.tar")]);
      },
    },
  ])("reports a $kind member pointing outside the archive as a gap", async ({ kind, member, build }) => {
    using dir = tempDir();
    const { snapshot, staging, outsideListing } = hostileSnapshot(dir.path);
    build(snapshot, staging);
    const result = await scanPath(snapshot, { matcher: credentials.matcher });
    expect(result.gaps).toEqual([
      expect.objectContaining({ member, reason: stringMatching(new RegExp(`^unsafe-link-target: ${kind}`)) }),
    ]);
    await redactAndCheckNothingEscaped(snapshot, outsideListing);
  });

  it("does not follow a symlinked directory out of the snapshot", async () => {
    using dir = tempDir();
    const { snapshot, outsideListing } = hostileSnapshot(dir.path);
    write(join(dir.path, "outside/key.pem"), credentials.pem);
    symlinkSync("../../outside", join(snapshot, "escape"));
    const result = await scanPath(snapshot, { matcher: credentials.matcher });
    expect(result.findings).toEqual([]);
    expect(result.gaps).toEqual([expect.objectContaining({ reason: stringMatching(/^symlink-outside-tree/) })]);
    await redactAndCheckNothingEscaped(snapshot, outsideListing);
    expect(readFileSync(join(dir.path, "outside/key.pem"), "utf8")).toBe(credentials.pem);
    await expect(assertWritableInside(snapshot, join(snapshot, "escape", "key.pem"))).rejects.toMatchObject({
      code: "BACKUP_PATH_ESCAPE",
    });
    await expect(assertWritableInside(snapshot, join(snapshot, "..", "x"))).rejects.toMatchObject({
      code: "BACKUP_PATH_ESCAPE",
    });
  });

  it("scans the data of a member type it does not decode (GNU sparse): the secret is found, no gap", async () => {
    using dir = tempDir();
    const { snapshot } = hostileSnapshot(dir.path);
    write(
      join(snapshot, "sparse.tar"),
      rawTar([tarEntry({ path: "holes", type: "SparseFile" }, Buffer.from(credentials.classicToken))]),
    );
    const result = await scanPath(snapshot, { matcher: credentials.matcher });
    expect(result.gaps).toEqual([]);
    expect(result.findings).toEqual([expect.objectContaining({ member: "holes", form: "token" })]);
  });

  it("reports a truncated tar as a gap and keeps what it read", async () => {
    using dir = tempDir();
    const { snapshot, staging, outsideListing } = hostileSnapshot(dir.path);
    write(join(staging, "a"), credentials.classicToken);
    write(join(staging, "b"), Buffer.alloc(5000, 0x41));
    gnuTar(join(snapshot, "cut.tar"), staging, ["a", "b"]);
    truncateSync(join(snapshot, "cut.tar"), 512 * 3 + 100);
    const result = await scanPath(snapshot, { matcher: credentials.matcher });
    expect(result.gaps).toEqual([
      expect.objectContaining({ member: "b", reason: stringMatching(/^corrupt-tar: truncated/) }),
    ]);
    expect(result.findings).toContainEqual(expect.objectContaining({ member: "a", form: "token" }));
    await redactAndCheckNothingEscaped(snapshot, outsideListing);
  });

  it("reports a truncated gzip stream as a gap", async () => {
    using dir = tempDir();
    const { snapshot, outsideListing } = hostileSnapshot(dir.path);
    write(join(snapshot, "dump.sql"), "INSERT INTO t VALUES (1);\n".repeat(20000));
    const gz = gzipFile(join(snapshot, "dump.sql"));
    truncateSync(gz, Math.floor(statSync(gz).size / 2));
    const result = await scanPath(snapshot, { matcher: credentials.matcher });
    expect(result.gaps).toEqual([expect.objectContaining({ reason: stringMatching(/^corrupt-gzip/) })]);
    await redactAndCheckNothingEscaped(snapshot, outsideListing);
  });

  it("stops inflating a gzip bomb over the ratio limit and reports a gap", async () => {
    using dir = tempDir();
    const { snapshot, outsideListing } = hostileSnapshot(dir.path);
    run("sh", ["-c", `head -c 64000000 /dev/zero | gzip -9 > "${join(snapshot, "bomb.gz")}"`]);
    const result = await scanPath(snapshot, {
      matcher: credentials.matcher,
      limits: { maxInflateRatio: 100, ratioCheckAfterBytes: 1 << 20 },
    });
    expect(result.gaps).toEqual([
      expect.objectContaining({ reason: stringMatching(/^gzip-inflate-limit: inflate ratio/) }),
    ]);
    const capped = await scanPath(snapshot, { matcher: credentials.matcher, limits: { maxInflatedBytes: 4 << 20 } });
    expect(capped.gaps).toEqual([
      expect.objectContaining({ reason: stringMatching(/^gzip-inflate-limit: inflated size/) }),
    ]);
    await redactAndCheckNothingEscaped(snapshot, outsideListing);
  });

  it("refuses to redact a gzip bomb that carries a secret, reporting it as failed", async () => {
    using dir = tempDir();
    const { snapshot, outsideListing } = hostileSnapshot(dir.path);
    write(join(dir.path, "token.txt"), `${credentials.classicToken}\n`);
    run("sh", [
      "-c",
      `(cat "${join(dir.path, "token.txt")}"; head -c 32000000 /dev/zero) | gzip -9 > "${join(snapshot, "bomb.gz")}"`,
    ]);
    const limits = { maxInflatedBytes: 8 << 20 };
    const scan = await scanPath(snapshot, { matcher: credentials.matcher, limits });
    expect(scan.findings).toEqual([expect.objectContaining({ form: "token", offset: 0 })]);
    expect(scan.gaps).toEqual([expect.objectContaining({ reason: stringMatching(/^gzip-inflate-limit/) })]);
    const before = outsideListing();
    const report = await redactSnapshot(snapshot, { matcher: credentials.matcher, limits });
    expect(report.failed).toEqual([{ path: "bomb.gz", reason: stringMatching(/^BACKUP_UNSUPPORTED_ARCHIVE/) }]);
    expect(outsideListing()).toEqual(before);
    expect(readdirSync(snapshot).sort()).toEqual(["bomb.gz", "github-connect"]);
  });

  it("reports nesting deeper than maxDepth as a gap (the raw bytes past it are still scanned)", async () => {
    using dir = tempDir();
    const { snapshot, staging, outsideListing } = hostileSnapshot(dir.path);
    write(join(staging, "l0/key.pem"), credentials.pem);
    gnuTar(join(staging, "l1/inner.tar"), join(staging, "l0"), ["key.pem"]);
    gzipFile(join(staging, "l1/inner.tar"));
    gnuTar(join(staging, "l2/middle.tar"), join(staging, "l1"), ["inner.tar.gz"]);
    gnuTar(join(snapshot, "outer.tar"), join(staging, "l2"), ["middle.tar"]);
    const deep = await scanPath(snapshot, { matcher: credentials.matcher });
    expect(deep.findings).toEqual([
      expect.objectContaining({ member: "middle.tar!inner.tar.gz!key.pem", form: "pem-key" }),
    ]);
    const shallow = await scanPath(snapshot, { matcher: credentials.matcher, maxDepth: 3 });
    // The tar inside the gzip is not opened, but its raw bytes are scanned: the stored key is found there.
    expect(shallow.findings).toEqual([
      expect.objectContaining({ member: "middle.tar!inner.tar.gz", form: "pem-key", offset: 512 }),
    ]);
    expect(shallow.gaps).toEqual([
      expect.objectContaining({
        member: "middle.tar!inner.tar.gz",
        reason: stringMatching(/^nesting-depth-limit/),
      }),
    ]);
    await redactAndCheckNothingEscaped(snapshot, outsideListing);
    expect((await scanPath(snapshot, { matcher: credentials.matcher })).findings).toEqual([]);
    run("tar", ["-tvf", join(snapshot, "outer.tar")]);
  });

  it("reports an archive over the size limit as a gap", async () => {
    using dir = tempDir();
    const { snapshot, staging } = hostileSnapshot(dir.path);
    write(join(staging, "a"), Buffer.alloc(4096, 0x41));
    gnuTar(join(snapshot, "big.tar"), staging, ["a"]);
    const result = await scanPath(snapshot, { matcher: credentials.matcher, limits: { maxArchiveBytes: 1024 } });
    expect(result.gaps).toEqual([expect.objectContaining({ reason: stringMatching(/^archive-size-limit/) })]);
  });
});
