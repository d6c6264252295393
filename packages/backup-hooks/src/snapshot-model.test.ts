import { mkdirSync, symlinkSync, writeFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { itemAt, stringContaining } from "@connect-ops/test-support";
import { describe, expect, it } from "vitest";
import { listSnapshots, openSnapshot, sharedHardLinks } from "./snapshot-model.js";
import { testCredentials } from "./test-support/credentials.js";
import { NEW_ID, OLD_ID, buildPlantedSnapshots, tempDir, write } from "./test-support/snapshot-fixture.js";

describe("snapshot model", () => {
  const credentials = testCredentials();

  it("lists snapshots oldest first and resolves the relative current link", async () => {
    using dir = tempDir();
    const fixture = buildPlantedSnapshots(dir.path, credentials);
    const info = await listSnapshots(fixture.dataDir);
    expect(info.snapshots.map((snapshot) => snapshot.id)).toEqual([OLD_ID, NEW_ID]);
    expect(info.current).toBe(NEW_ID);
    expect(info.snapshots.map((snapshot) => snapshot.layout)).toEqual(["backup-utils", "backup-utils"]);
    const opened = await openSnapshot(join(fixture.dataDir, "current"));
    expect(opened.id).toBe(NEW_ID);
    expect(opened.isCurrent).toBe(true);
  });

  it("recognises the backup-service layout by github-secrets.tar", async () => {
    using dir = tempDir();
    write(join(dir.path, "data", NEW_ID, "github-secrets.tar"), "x");
    const info = await listSnapshots(join(dir.path, "data"));
    expect(itemAt(info.snapshots, 0).layout).toBe("backup-service");
  });

  it("refuses an incomplete snapshot unless forced", async () => {
    using dir = tempDir();
    const fixture = buildPlantedSnapshots(dir.path, credentials);
    writeFileSync(join(fixture.newSnapshot, "incomplete"), "");
    await expect(openSnapshot(fixture.newSnapshot)).rejects.toMatchObject({
      code: "BACKUP_SNAPSHOT_INCOMPLETE",
      category: "input",
    });
    await expect(openSnapshot(fixture.newSnapshot, { force: true })).resolves.toMatchObject({ incomplete: true });
  });

  it("refuses while a backup is in progress unless forced", async () => {
    using dir = tempDir();
    const fixture = buildPlantedSnapshots(dir.path, credentials);
    writeFileSync(join(fixture.dataDir, "in-progress"), `${NEW_ID} 1234\n`);
    await expect(openSnapshot(join(fixture.dataDir, "current"))).rejects.toMatchObject({ code: "BACKUP_IN_PROGRESS" });
    await expect(openSnapshot(join(fixture.dataDir, "current"), { force: true })).resolves.toMatchObject({
      id: NEW_ID,
    });
  });

  it("refuses a current link that leaves the data dir", async () => {
    using dir = tempDir();
    const fixture = buildPlantedSnapshots(dir.path, credentials);
    rmSync(join(fixture.dataDir, "current"));
    symlinkSync("/etc", join(fixture.dataDir, "current"));
    await expect(openSnapshot(join(fixture.dataDir, "current"))).rejects.toMatchObject({ code: "BACKUP_PATH_ESCAPE" });
  });

  it("refuses a `current` that is not a symlink instead of reading it as no backup yet", async () => {
    using dir = tempDir();
    const fixture = buildPlantedSnapshots(dir.path, credentials);
    rmSync(join(fixture.dataDir, "current"));
    mkdirSync(join(fixture.dataDir, "current"));
    await expect(listSnapshots(fixture.dataDir)).rejects.toMatchObject({
      code: "BACKUP_PATH_ESCAPE",
      message: stringContaining("EINVAL"),
    });
  });

  it("refuses a path that is not a snapshot", async () => {
    using dir = tempDir();
    await expect(openSnapshot(dir.path)).rejects.toMatchObject({ code: "BACKUP_NOT_A_SNAPSHOT" });
  });

  it("knows which files are hard links shared with another snapshot", async () => {
    using dir = tempDir();
    const fixture = buildPlantedSnapshots(dir.path, credentials);
    const shared = await sharedHardLinks(fixture.newSnapshot);
    expect([...shared.keys()].map((path) => path.slice(fixture.newSnapshot.length + 1)).sort()).toEqual([
      "repositories/a/b/config",
      "repositories/a/b/pack.pack",
    ]);
    expect(shared.get(join(fixture.newSnapshot, "repositories/a/b/config"))).toEqual([
      join(fixture.oldSnapshot, "repositories/a/b/config"),
    ]);
  });
});
