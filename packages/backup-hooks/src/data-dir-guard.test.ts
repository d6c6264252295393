import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { listSnapshots } from "./snapshot-model.js";
import { tempDir } from "./test-support/snapshot-fixture.js";

describe("data dir guard (listSnapshots)", () => {
  it.each(["/", "/proc", "/sys", "/dev", "/proc/self"])(
    "refuses the system tree %s without walking it",
    async (path) => {
      await expect(listSnapshots(path)).rejects.toMatchObject({ code: "BACKUP_NOT_A_DATA_DIR", category: "input" });
    },
  );

  it("refuses a data dir that is a symlink to /, naming where it leads", async () => {
    using dir = tempDir();
    symlinkSync("/", join(dir.path, "data"));
    const error: unknown = await listSnapshots(join(dir.path, "data")).catch((thrown: unknown) => thrown);
    expect(error).toMatchObject({ code: "BACKUP_NOT_A_DATA_DIR", context: { resolved: "/" } });
    expect((error as Error).message).toContain(`${join(dir.path, "data")} resolves to /`);
  });

  it("refuses a directory with no snapshot, current or backup marker, and says what it found", async () => {
    using dir = tempDir();
    mkdirSync(join(dir.path, "home", "alice"), { recursive: true });
    writeFileSync(join(dir.path, "home", "notes.txt"), "x");
    const error: unknown = await listSnapshots(join(dir.path, "home")).catch((thrown: unknown) => thrown);
    expect(error).toMatchObject({ code: "BACKUP_NOT_A_DATA_DIR", context: { entries: 2 } });
    expect((error as Error).message).toMatch(
      /none of its 2 entries \((alice, notes\.txt|notes\.txt, alice)\) is a snapshot/,
    );
  });

  it("accepts an empty data dir (before the first backup) and one with only in-progress", async () => {
    using dir = tempDir();
    mkdirSync(join(dir.path, "empty"));
    expect((await listSnapshots(join(dir.path, "empty"))).snapshots).toEqual([]);
    mkdirSync(join(dir.path, "running"));
    writeFileSync(join(dir.path, "running", "in-progress"), "20260101T000000 123");
    expect((await listSnapshots(join(dir.path, "running"))).inProgress).toBe(true);
  });

  it("accepts a data dir with a timestamped snapshot beside other files", async () => {
    using dir = tempDir();
    mkdirSync(join(dir.path, "data", "20261130T010203"), { recursive: true });
    writeFileSync(join(dir.path, "data", "README"), "ours");
    expect((await listSnapshots(join(dir.path, "data"))).snapshots.map((snapshot) => snapshot.id)).toEqual([
      "20261130T010203",
    ]);
  });
});
