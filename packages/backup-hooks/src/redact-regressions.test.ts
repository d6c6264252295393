import {
  existsSync,
  linkSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  truncateSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { itemAt, stringContaining } from "@connect-ops/test-support";
import { describe, expect, it } from "vitest";
import { redactSnapshot } from "./redact-snapshot.js";
import { scanPath } from "./scan-path.js";
import { randomBytes } from "node:crypto";
import { createResidueMatcher, deriveResidueFingerprints } from "@connect-ops/connection-core";
import { testCredentials } from "./test-support/credentials.js";
import {
  NEW_ID,
  buildPlantedSnapshots,
  gnuTar,
  gzipFile,
  run,
  tempDir,
  write,
} from "./test-support/snapshot-fixture.js";
import { includeCredentials } from "./include-credentials.js";

const fixedClock = () => new Date("2026-01-02T03:04:05Z");

describe("redactSnapshot regressions (reliability suite)", () => {
  const credentials = testCredentials();
  /**
   * An app-JWT token whose signature ends in a long run of base64 characters
   * (no `-`/`_` in the last 120): the random tokens of testCredentials() have
   * such a tail only sometimes, which made the miss intermittent.
   */
  const alnumTail = Array.from(
    randomBytes(120),
    (byte) => "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"[byte % 62],
  ).join("");
  const longTailToken = `ghs_424242_${randomBytes(27).toString("base64url")}.${randomBytes(120).toString("base64url")}.${randomBytes(90).toString("base64url")}-${alnumTail}`;
  const matcher = createResidueMatcher([
    deriveResidueFingerprints({
      appId: 424242,
      privateKeyPem: credentials.pem,
      tokens: [credentials.classicToken, credentials.jwtToken, longTailToken],
      saltBytes: randomBytes(16),
    }),
  ]);

  /** A token and, right after it, a full PEM body line: raw LF, escaped `\n` (SQL text) and CRLF. */
  function neighbours(): string {
    const line = itemAt(credentials.pemLines, 0);
    const other = itemAt(credentials.pemLines, 7);
    return [
      `token=${credentials.classicToken}`,
      line,
      `INSERT INTO t VALUES ('${credentials.classicToken}\\n${other}');`,
      `INSERT INTO t VALUES ('${credentials.jwtToken}\\n${itemAt(credentials.pemLines, 9)}');`,
      longTailToken,
      itemAt(credentials.pemLines, 11),
      `INSERT INTO t VALUES ('${longTailToken}\\n${itemAt(credentials.pemLines, 15)}');`,
      `INSERT INTO t VALUES ('token=${longTailToken}`,
      `${itemAt(credentials.pemLines, 17)}');`,
      `${credentials.classicToken}\r\n${itemAt(credentials.pemLines, 13)}\r\n`,
      "",
    ].join("\n");
  }

  it("one pass redacts a PEM line right after a token (plain file, tar member, gzip stream)", async () => {
    using dir = tempDir();
    const snapshot = join(dir.path, "snap");
    const staging = join(dir.path, "staging");
    write(join(snapshot, "plain.txt"), neighbours());
    write(join(staging, "etc/dump.sql"), neighbours());
    gnuTar(join(snapshot, "member.tar"), staging, ["etc"]);
    write(join(snapshot, "mysql.sql"), neighbours());
    gzipFile(join(snapshot, "mysql.sql"));
    const before = await scanPath(snapshot, { matcher: matcher });
    expect(new Set(before.findings.map((finding) => finding.path)).size).toBe(3);
    await redactSnapshot(snapshot, { matcher: matcher, now: fixedClock });
    const after = await scanPath(snapshot, { matcher: matcher });
    expect(after.findings).toEqual([]);
    for (const line of [0, 7, 9, 11, 13, 15, 17])
      expect(readFileSync(join(snapshot, "plain.txt"), "latin1")).not.toContain(itemAt(credentials.pemLines, line));
  });

  /** What a SIGKILLed redact leaves: its work dir with an unredacted scratch copy, and staged links. */
  function plantKilledRun(snapshot: string): { workDir: string; staged: readonly string[] } {
    const workDir = join(snapshot, ".connect-ops-redact-0123456789ab");
    mkdirSync(workDir, { mode: 0o700 });
    write(join(workDir, "a1b2c3d4e5f60718"), `inflated scratch\n${credentials.classicToken}\n`);
    const staged = [
      join(snapshot, "connect-app-private-key.00112233aabb.new"),
      join(snapshot, "repositories/a/b/config.ffeeddccbbaa.new"),
    ] as const;
    writeFileSync(staged[0], "half-replaced\n");
    linkSync(join(snapshot, "repositories/a/b/config"), staged[1]);
    return { workDir, staged };
  }

  it("a killed run's work dir and staged .new links are removed before the re-run scans (dry run: only listed)", async () => {
    using dir = tempDir();
    const fixture = buildPlantedSnapshots(dir.path, credentials);
    const { workDir, staged } = plantKilledRun(fixture.newSnapshot);
    const lookalike = join(fixture.newSnapshot, "storage/orphan.0123456789ab.new"); // no sibling `orphan`: not ours
    write(lookalike, "user data\n");

    const dry = await redactSnapshot(fixture.newSnapshot, {
      matcher: credentials.matcher,
      dryRun: true,
      now: fixedClock,
    });
    expect(dry.removed).toEqual(
      expect.arrayContaining([
        ".connect-ops-redact-0123456789ab",
        "connect-app-private-key.00112233aabb.new",
        "repositories/a/b/config.ffeeddccbbaa.new",
      ]),
    );
    // A stale work dir may hold secrets: the scan looks inside like anywhere else.
    expect(dry.changes.some((change) => change.path.startsWith(".connect-ops-redact-"))).toBe(true);
    expect(existsSync(workDir)).toBe(true);
    for (const path of staged) expect(existsSync(path)).toBe(true);

    const report = await redactSnapshot(fixture.newSnapshot, { matcher: credentials.matcher, now: fixedClock });
    expect(report.removed).toEqual(
      expect.arrayContaining([
        ".connect-ops-redact-0123456789ab",
        "connect-app-private-key.00112233aabb.new",
        "repositories/a/b/config.ffeeddccbbaa.new",
      ]),
    );
    expect(
      report.changes.some((change) => change.path.startsWith(".connect-ops-redact-") || change.path.endsWith(".new")),
    ).toBe(false);
    expect(report.filesRewritten.some((path) => path.endsWith(".new"))).toBe(false);
    expect(existsSync(workDir)).toBe(false);
    for (const path of staged) expect(existsSync(path)).toBe(false);
    expect(readFileSync(lookalike, "utf8")).toBe("user data\n");
    expect(readdirSync(fixture.newSnapshot).filter((name) => name.startsWith(".connect-ops-"))).toEqual([]);
    expect((await scanPath(fixture.newSnapshot, { matcher: credentials.matcher })).findings).toEqual([]);
    // The older snapshot's hard-linked file is untouched by removing the staged link.
    expect(readFileSync(join(fixture.oldSnapshot, "repositories/a/b/config"), "utf8")).toContain(
      credentials.classicToken,
    );
  });

  it("a .tar.gz and a .gz with a damaged gzip trailer are listed in failed, never a raw zlib error", async () => {
    using dir = tempDir();
    const fixture = buildPlantedSnapshots(dir.path, credentials);
    const staging = join(dir.path, "staging-gz");
    write(join(staging, "conf/token"), `${credentials.classicToken}\n`);
    gnuTar(join(staging, "conf.tar"), staging, ["conf"]);
    const archives = [gzipFile(join(staging, "conf.tar")), join(fixture.newSnapshot, "mysql.sql.gz")] as const;
    const damaged = [join(fixture.newSnapshot, "conf.tar.gz"), archives[1]] as const;
    writeFileSync(damaged[0], readFileSync(archives[0]));
    // The trailer is CRC32 + ISIZE, the last 8 bytes of real `gzip` output: one truncated, one corrupted.
    truncateSync(damaged[0], statSync(damaged[0]).size - 8);
    const bytes = readFileSync(damaged[1]);
    for (let index = bytes.length - 8; index < bytes.length; index += 1) bytes[index] = bytes.readUInt8(index) ^ 0xff;
    writeFileSync(damaged[1], bytes);
    expect(() => run("gzip", ["-t", damaged[1]])).toThrow();

    const report = await redactSnapshot(fixture.newSnapshot, { matcher: credentials.matcher, now: fixedClock });
    const failed = new Map(report.failed.map((entry) => [entry.path, entry.reason]));
    for (const path of ["conf.tar.gz", "mysql.sql.gz"]) {
      if (!report.changes.some((change) => change.path === path)) continue; // a scan that stops at the damage may see nothing to redact
      expect(failed.get(path), path).toMatch(/^BACKUP_UNSUPPORTED_ARCHIVE: .*gzip/);
    }
    expect(failed.size).toBeGreaterThan(0);
    // The other files were still redacted.
    expect(report.filesRewritten).toContain("connect-app-private-key");
    expect(readdirSync(fixture.newSnapshot).filter((name) => name.startsWith(".connect-ops-"))).toEqual([]);
  });
});

describe("redactSnapshot and its record", () => {
  const credentials = testCredentials();

  it("stops before changing anything when the earlier redaction.json is damaged, without quoting it", async () => {
    using dir = tempDir();
    const fixture = buildPlantedSnapshots(dir.path, credentials);
    write(join(fixture.newSnapshot, "github-connect/redaction.json"), `{"runs": [${credentials.classicToken}`);
    const error = await redactSnapshot(fixture.newSnapshot, { matcher: credentials.matcher, now: fixedClock }).catch(
      (failure: unknown) => failure,
    );
    expect(error).toMatchObject({ code: "BACKUP_MANIFEST_INVALID", message: stringContaining("not JSON") });
    expect(JSON.stringify(error) + String(error)).not.toContain(credentials.classicToken);
    expect(readFileSync(join(fixture.newSnapshot, "connect-app-private-key"), "utf8")).toBe(credentials.pem);
    // A dry run writes no record, so it does not need the old one.
    await expect(
      redactSnapshot(fixture.newSnapshot, { matcher: credentials.matcher, dryRun: true, now: fixedClock }),
    ).resolves.toMatchObject({ dryRun: true });
  });
});

describe("includeCredentials after a kill", () => {
  const credentials = testCredentials();
  const manifest = (generation: number) => ({
    generation,
    appId: 424242,
    keyFingerprint: credentials.fingerprints.keyFingerprint,
    tokenExpiresAt: "2026-03-04T06:00:00Z",
    recipients: ["age1qyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqs3290gq"],
  });

  it("removes the temp files a killed include left in github-connect/ (writing, and when nothing changes)", async () => {
    using dir = tempDir();
    const snapshot = join(dir.path, "snap");
    const connect = join(snapshot, "github-connect");
    mkdirSync(connect, { recursive: true, mode: 0o700 });
    writeFileSync(join(connect, ".credentials.age.tmp-0a1b2c3d4e5f"), "half-written");
    writeFileSync(join(connect, ".manifest.json.tmp-abcdefabcdef"), "{");
    writeFileSync(join(connect, "notes.tmp-0a1b2c3d4e5f"), "not a temp name");
    const first = await includeCredentials(snapshot, { sealed: new Uint8Array([1, 2, 3]), manifest: manifest(1) });
    expect(first.changed).toBe(true);
    expect(readdirSync(connect).sort()).toEqual(["credentials.age", "manifest.json", "notes.tmp-0a1b2c3d4e5f"]);

    writeFileSync(join(connect, ".credentials.age.tmp-ffffffffffff"), "killed again");
    const second = await includeCredentials(snapshot, { sealed: new Uint8Array([1, 2, 3]), manifest: manifest(1) });
    expect(second.changed).toBe(false);
    expect(readdirSync(connect).sort()).toEqual(["credentials.age", "manifest.json", "notes.tmp-0a1b2c3d4e5f"]);
  });

  describe("redactSnapshot: how a hex run is overwritten", () => {
    const credentials = testCredentials();
    const { matcher } = credentials;

    it("fills a run of hex values with 0, keeping its commas and 0x prefixes: the SQL row still parses", async () => {
      using dir = tempDir();
      const snapshot = join(dir.path, NEW_ID);
      const hex = (text: string): string => Buffer.from(text).toString("hex").toUpperCase();
      const before = "INSERT INTO `t` VALUES\n(1,'plain',0x00FF10,0x6E6F6E65),\n";
      const row = `(2,'conn',0x${hex(credentials.pem)},0x${hex(credentials.classicToken)}),\n`;
      const after = "(3,'binary',0xCAFEBABE00,0x0102);\n";
      write(join(snapshot, "dump.sql"), before + row + after);
      const report = await redactSnapshot(snapshot, { matcher, now: fixedClock });
      expect(report.failed).toEqual([]);
      const redacted = readFileSync(join(snapshot, "dump.sql"), "latin1");
      const zeros = (text: string): string => "0".repeat(hex(text).length);
      expect(redacted).toBe(
        `${before}(2,'conn',0x${zeros(credentials.pem)},0x${zeros(credentials.classicToken)}),\n${after}`,
      );
      expect((await scanPath(snapshot, { matcher })).findings).toEqual([]);
    });

    it("fills a hex dump (xxd) with X: its ASCII column spells the secret too", async () => {
      using dir = tempDir();
      const snapshot = join(dir.path, NEW_ID);
      write(join(snapshot, "key.pem"), credentials.pem);
      write(join(snapshot, "key.xxd"), run("xxd", [join(snapshot, "key.pem")]));
      run("rm", [join(snapshot, "key.pem")]);
      await redactSnapshot(snapshot, { matcher, now: fixedClock });
      const redacted = readFileSync(join(snapshot, "key.xxd"), "latin1");
      for (const line of credentials.pemLines) expect(redacted).not.toContain(line.slice(0, 16));
      expect((await scanPath(snapshot, { matcher })).findings).toEqual([]);
    });
  });
});
