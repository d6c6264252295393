import { readFileSync, readlinkSync, statSync, readdirSync, existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { redactSnapshot } from "./redact-snapshot.js";
import { scanPath } from "./scan-path.js";
import { secretStrings, testCredentials } from "./test-support/credentials.js";
import { buildPlantedSnapshots, run, tempDir, write } from "./test-support/snapshot-fixture.js";

const fixedClock = () => new Date("2026-01-02T03:04:05Z");

describe("redactSnapshot", () => {
  const credentials = testCredentials();

  it("leaves a clean re-scan and archives that GNU tar and gzip accept", async () => {
    using dir = tempDir();
    const fixture = buildPlantedSnapshots(dir.path, credentials);
    write(join(fixture.newSnapshot, "github-connect/credentials.age"), "age-encryption.org/v1\n...");
    write(
      join(fixture.newSnapshot, "github-connect/manifest.json"),
      JSON.stringify({ recipients: ["age1example"], keyFingerprint: credentials.fingerprints.keyFingerprint }),
    );
    const before = await scanPath(fixture.newSnapshot, { matcher: credentials.matcher });
    expect(
      before.findings.some((finding) => finding.form === "sealed-copy" && finding.recipients?.[0] === "age1example"),
    ).toBe(true);

    const report = await redactSnapshot(fixture.newSnapshot, { matcher: credentials.matcher, now: fixedClock });
    expect(report.changes.length).toBeGreaterThanOrEqual(fixture.plants.length);
    expect(report.removed.sort()).toEqual(["github-connect/credentials.age", "github-connect/manifest.json"]);

    const after = await scanPath(fixture.newSnapshot, { matcher: credentials.matcher });
    expect(after.findings).toEqual([]);
    expect(after.gaps).toEqual([]);
    expect(readdirSync(join(fixture.newSnapshot, "github-connect"))).toEqual(["redaction.json"]);
    run("tar", ["-tvf", join(fixture.newSnapshot, "ssh-host-keys.tar")]);
    const saml = run("tar", ["-tvf", join(fixture.newSnapshot, "saml-keys.tar")]);
    expect(saml).toContain("inner.tar.gz");
    run("gzip", ["-t", join(fixture.newSnapshot, "mysql.sql.gz")]);
    run("sh", ["-c", `tar -xOf "${join(fixture.newSnapshot, "saml-keys.tar")}" inner.tar.gz | gzip -t`]);
    expect(JSON.parse(readFileSync(join(fixture.newSnapshot, "settings.json"), "utf8"))).toMatchObject({
      github_connect: { app_id: 424242 },
    });
  });

  it("never modifies a hard-linked file of the sibling snapshot and keeps symlinks and modes", async () => {
    using dir = tempDir();
    const fixture = buildPlantedSnapshots(dir.path, credentials);
    const oldConfig = join(fixture.oldSnapshot, "repositories/a/b/config");
    const oldBytes = readFileSync(oldConfig);
    const oldInode = statSync(oldConfig).ino;
    const mode = statSync(join(fixture.newSnapshot, "connect-app-private-key")).mode;
    const mtime = statSync(join(fixture.newSnapshot, "mysql.sql.gz")).mtimeMs;
    await redactSnapshot(fixture.newSnapshot, { matcher: credentials.matcher, now: fixedClock });
    expect(readFileSync(oldConfig)).toEqual(oldBytes);
    expect(statSync(oldConfig).ino).toBe(oldInode);
    expect(statSync(join(fixture.newSnapshot, "repositories/a/b/config")).ino).not.toBe(oldInode);
    expect(statSync(join(fixture.newSnapshot, "repositories/a/b/pack.pack")).ino).toBe(
      statSync(join(fixture.oldSnapshot, "repositories/a/b/pack.pack")).ino,
    );
    expect(readlinkSync(join(fixture.newSnapshot, "hookshot/settings-link"))).toBe("../settings.json");
    expect(readlinkSync(join(fixture.dataDir, "current"))).toBe("20250102T010000");
    expect(statSync(join(fixture.newSnapshot, "connect-app-private-key")).mode).toBe(mode);
    expect(Math.floor(statSync(join(fixture.newSnapshot, "mysql.sql.gz")).mtimeMs)).toBe(Math.floor(mtime));
    const oldScan = await scanPath(fixture.oldSnapshot, { matcher: credentials.matcher });
    expect(oldScan.findings).toHaveLength(1);
  });

  it("is idempotent: a second run changes nothing", async () => {
    using dir = tempDir();
    const fixture = buildPlantedSnapshots(dir.path, credentials);
    await redactSnapshot(fixture.newSnapshot, { matcher: credentials.matcher, now: fixedClock });
    const record = readFileSync(join(fixture.newSnapshot, "github-connect/redaction.json"), "utf8");
    const inode = statSync(join(fixture.newSnapshot, "mysql.sql.gz")).ino;
    const second = await redactSnapshot(fixture.newSnapshot, { matcher: credentials.matcher, now: fixedClock });
    expect(second.changes).toEqual([]);
    expect(second.filesRewritten).toEqual([]);
    expect(statSync(join(fixture.newSnapshot, "mysql.sql.gz")).ino).toBe(inode);
    expect(readFileSync(join(fixture.newSnapshot, "github-connect/redaction.json"), "utf8")).toBe(record);
  });

  it("changes nothing on a dry run", async () => {
    using dir = tempDir();
    const fixture = buildPlantedSnapshots(dir.path, credentials);
    const report = await redactSnapshot(fixture.newSnapshot, {
      matcher: credentials.matcher,
      dryRun: true,
      now: fixedClock,
    });
    expect(report.changes.length).toBeGreaterThan(0);
    expect(existsSync(join(fixture.newSnapshot, "github-connect"))).toBe(false);
    expect((await scanPath(fixture.newSnapshot, { matcher: credentials.matcher })).findings.length).toBe(
      report.changes.length,
    );
  });

  it("puts no secret in the report or redaction.json", async () => {
    using dir = tempDir();
    const fixture = buildPlantedSnapshots(dir.path, credentials);
    const report = JSON.stringify(
      await redactSnapshot(fixture.newSnapshot, { matcher: credentials.matcher, now: fixedClock }),
    );
    const record = readFileSync(join(fixture.newSnapshot, "github-connect/redaction.json"), "utf8");
    for (const secret of secretStrings(credentials)) {
      expect(report).not.toContain(secret);
      expect(record).not.toContain(secret);
    }
  });
});
