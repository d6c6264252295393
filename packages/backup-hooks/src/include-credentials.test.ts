import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { stringMatching } from "@connect-ops/test-support";
import { describe, expect, it } from "vitest";
import { Encrypter, generateIdentity, identityToRecipient } from "age-encryption";
import { applyBackupPolicy } from "./backup-policy.js";
import { includeCredentials, readIncludedCredentials } from "./include-credentials.js";
import { scanPath } from "./scan-path.js";
import { testCredentials } from "./test-support/credentials.js";
import { buildPlantedSnapshots, tempDir, write } from "./test-support/snapshot-fixture.js";

const clock = () => new Date("2026-03-04T05:06:07Z");

async function sealForBackup(plaintext: string): Promise<{ sealed: Uint8Array; identity: string; recipient: string }> {
  const identity = await generateIdentity();
  const recipient = await identityToRecipient(identity);
  const encrypter = new Encrypter();
  encrypter.addRecipient(recipient);
  return { sealed: await encrypter.encrypt(plaintext), identity, recipient };
}

describe("includeCredentials", () => {
  const credentials = testCredentials();
  const manifestFor = (recipient: string, generation = 3) => ({
    generation,
    appId: 424242,
    keyFingerprint: credentials.fingerprints.keyFingerprint,
    tokenExpiresAt: "2026-03-04T06:00:00Z",
    recipients: [recipient],
  });

  it("writes a sealed copy that the age CLI opens with the backup identity, 0600 in a 0700 dir", async () => {
    using dir = tempDir();
    const fixture = buildPlantedSnapshots(dir.path, credentials);
    const { sealed, identity, recipient } = await sealForBackup("bundle-json");
    const result = await includeCredentials(fixture.newSnapshot, {
      sealed,
      manifest: manifestFor(recipient),
      now: clock,
    });
    expect(result.changed).toBe(true);
    const connectDir = join(fixture.newSnapshot, "github-connect");
    expect(statSync(connectDir).mode & 0o777).toBe(0o700);
    expect(statSync(join(connectDir, "credentials.age")).mode & 0o777).toBe(0o600);
    writeFileSync(join(dir.path, "identity.txt"), `${identity}\n`, { mode: 0o600 });
    const opened = execFileSync(
      "age",
      ["-d", "-i", join(dir.path, "identity.txt"), join(connectDir, "credentials.age")],
      { encoding: "utf8" },
    );
    expect(opened).toBe("bundle-json");
    const manifest: unknown = JSON.parse(readFileSync(join(connectDir, "manifest.json"), "utf8"));
    expect(manifest).toEqual({ ...manifestFor(recipient), created: "2026-03-04T05:06:07.000Z" });
    expect(await readIncludedCredentials(fixture.newSnapshot)).toEqual({ sealed: new Uint8Array(sealed), manifest });
  });

  it("is idempotent for the same generation and recipients", async () => {
    using dir = tempDir();
    const fixture = buildPlantedSnapshots(dir.path, credentials);
    const { sealed, recipient } = await sealForBackup("bundle");
    await includeCredentials(fixture.newSnapshot, { sealed, manifest: manifestFor(recipient), now: clock });
    const inode = statSync(join(fixture.newSnapshot, "github-connect/credentials.age")).ino;
    const again = await includeCredentials(fixture.newSnapshot, {
      sealed: new Uint8Array([1]),
      manifest: manifestFor(recipient),
      now: () => new Date(),
    });
    expect(again.changed).toBe(false);
    expect(statSync(join(fixture.newSnapshot, "github-connect/credentials.age")).ino).toBe(inode);
    const newer = await includeCredentials(fixture.newSnapshot, {
      sealed,
      manifest: manifestFor(recipient, 4),
      now: clock,
    });
    expect(newer.changed).toBe(true);
  });

  it("is reported by the scanner as a sealed copy with its recipients", async () => {
    using dir = tempDir();
    const fixture = buildPlantedSnapshots(dir.path, credentials);
    const { sealed, recipient } = await sealForBackup("bundle");
    await includeCredentials(fixture.newSnapshot, { sealed, manifest: manifestFor(recipient), now: clock });
    const result = await scanPath(fixture.newSnapshot, { matcher: credentials.matcher });
    const copy = result.findings.find((finding) => finding.form === "sealed-copy");
    expect(copy).toMatchObject({
      encoding: "age",
      recipients: [recipient],
      fingerprintId: credentials.fingerprints.id,
    });
  });

  it("returns undefined for a snapshot without included credentials", async () => {
    using dir = tempDir();
    const fixture = buildPlantedSnapshots(dir.path, credentials);
    expect(await readIncludedCredentials(fixture.newSnapshot)).toBeUndefined();
  });

  it("rejects a sealed copy it cannot read instead of answering that none is included", async () => {
    using dir = tempDir();
    const fixture = buildPlantedSnapshots(dir.path, credentials);
    mkdirSync(join(fixture.newSnapshot, "github-connect/credentials.age"), { recursive: true });
    write(join(fixture.newSnapshot, "github-connect/manifest.json"), "{}");
    await expect(readIncludedCredentials(fixture.newSnapshot)).rejects.toMatchObject({ code: "EISDIR" });
  });

  it("makes a manifest next to a sealed copy that cannot be read or parsed a gap: who can open the copy is unknown", async () => {
    using dir = tempDir();
    const connect = join(dir.path, "snap/github-connect");
    write(join(connect, "credentials.age"), "age-encryption.org/v1\n...");
    mkdirSync(join(connect, "manifest.json"));
    const unreadable = await scanPath(join(dir.path, "snap"), { matcher: credentials.matcher });
    expect(unreadable.findings).toEqual([expect.objectContaining({ form: "sealed-copy", recipients: [] })]);
    expect(unreadable.gaps).toEqual([
      {
        path: join(connect, "manifest.json"),
        reason: stringMatching(/^unreadable-manifest: EISDIR; recipients/),
      },
    ]);
    write(join(dir.path, "other/github-connect/credentials.age"), "age-encryption.org/v1\n...");
    write(join(dir.path, "other/github-connect/manifest.json"), '{"recipients": [');
    const damaged = await scanPath(join(dir.path, "other"), { matcher: credentials.matcher });
    expect(damaged.gaps).toEqual([expect.objectContaining({ reason: stringMatching(/^invalid-manifest: not JSON/) })]);
  });
});

describe("applyBackupPolicy", () => {
  const credentials = testCredentials();

  it("includes into current under the include policy", async () => {
    using dir = tempDir();
    const fixture = buildPlantedSnapshots(dir.path, credentials);
    const { sealed, recipient } = await sealForBackup("bundle");
    const manifest = {
      generation: 1,
      appId: 424242,
      keyFingerprint: credentials.fingerprints.keyFingerprint,
      tokenExpiresAt: "2026-03-04T06:00:00Z",
      recipients: [recipient],
    };
    const result = await applyBackupPolicy({
      dataDir: fixture.dataDir,
      policy: "include",
      include: { sealed, manifest },
      now: clock,
    });
    expect(result.snapshot.path).toBe(fixture.newSnapshot);
    expect(await readIncludedCredentials(fixture.newSnapshot)).toBeDefined();
  });

  it("redacts current under the redact policy and refuses an incomplete one", async () => {
    using dir = tempDir();
    const fixture = buildPlantedSnapshots(dir.path, credentials);
    writeFileSync(join(fixture.newSnapshot, "incomplete"), "");
    await expect(
      applyBackupPolicy({ dataDir: fixture.dataDir, policy: "redact", matcher: credentials.matcher }),
    ).rejects.toMatchObject({ code: "BACKUP_SNAPSHOT_INCOMPLETE" });
    const result = await applyBackupPolicy({
      dataDir: fixture.dataDir,
      policy: "redact",
      matcher: credentials.matcher,
      force: true,
      now: clock,
    });
    expect(result.policy === "redact" && result.redaction.changes.length).toBeGreaterThan(0);
    expect((await scanPath(fixture.newSnapshot, { matcher: credentials.matcher })).findings).toEqual([]);
  });
});
