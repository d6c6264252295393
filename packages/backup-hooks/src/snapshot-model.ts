import { lstat, readdir, readlink, realpath } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { assertLooksLikeDataDir } from "./data-dir-guard.js";
import { BackupError } from "./errors.js";
import { errnoOf, isMissing, unlessMissing } from "./fs-errors.js";
import { walkTree } from "./tree-walk.js";

/** `backup-utils` (one file per secret, several tarballs) or the on-appliance backup service (`github-secrets.tar`). */
export type SnapshotLayout = "backup-utils" | "backup-service";

export interface SnapshotInfo {
  readonly id: string;
  readonly path: string;
  readonly dataDir: string;
  /** The `incomplete` marker is present: the backup that wrote it did not finish. */
  readonly incomplete: boolean;
  readonly layout: SnapshotLayout;
  readonly isCurrent: boolean;
}

export interface DataDirInfo {
  readonly dataDir: string;
  readonly snapshots: SnapshotInfo[];
  readonly current: string | undefined;
  /** `in-progress` exists: a backup is running (or died without cleaning up). */
  readonly inProgress: boolean;
}

/** backup-utils names snapshots `date +%Y%m%dT%H%M%S`. */
export const SNAPSHOT_ID = /^\d{8}T\d{6}$/;

/** Markers (`incomplete`, `in-progress`): one we cannot stat (EACCES) must not read as absent, so only a missing path is false. */
async function exists(path: string): Promise<boolean> {
  return (await unlessMissing(lstat(path))) !== undefined;
}

async function currentTarget(dataDir: string): Promise<string | undefined> {
  const link = join(dataDir, "current");
  let target: string;
  try {
    target = await readlink(link);
  } catch (error) {
    if (isMissing(error)) return undefined; // no backup has completed yet
    throw new BackupError(
      "BACKUP_PATH_ESCAPE",
      `cannot read ${link} as a link to a snapshot: ${errnoOf(error) ?? "error"}`,
      {
        category: "input",
        hint:
          errnoOf(error) === "EINVAL"
            ? "`current` must be a symlink; re-point it with `ln -sfn <YYYYMMDDTHHMMSS> current` inside the data dir"
            : "check the data dir's permissions",
        context: { path: link },
        cause: error,
      },
    );
  }
  // backup-utils writes a relative link to a sibling; anything else could point anywhere.
  if (!SNAPSHOT_ID.test(target)) {
    throw new BackupError(
      "BACKUP_PATH_ESCAPE",
      `${join(dataDir, "current")} points to "${target}", not to a snapshot in the data dir`,
      {
        category: "input",
        hint: "re-point it with `ln -sfn <YYYYMMDDTHHMMSS> current` inside the data dir",
        context: { path: join(dataDir, "current") },
      },
    );
  }
  return target;
}

async function describe(dataDir: string, id: string, current: string | undefined): Promise<SnapshotInfo> {
  const path = join(dataDir, id);
  const serviceLayout = (await exists(join(path, "github-secrets.tar"))) || dataDir.endsWith("/backup/data");
  return {
    id,
    path,
    dataDir,
    incomplete: await exists(join(path, "incomplete")),
    layout: serviceLayout ? "backup-service" : "backup-utils",
    isCurrent: id === current,
  };
}

/**
 * Lists the snapshots of a data dir, oldest first. Throws `BACKUP_NOT_FOUND`
 * when the dir cannot be read, `BACKUP_NOT_A_DATA_DIR` when it is a system tree
 * (`/`, `/proc`, …) or holds no snapshot, `current` or backup marker.
 */
export async function listSnapshots(dataDir: string): Promise<DataDirInfo> {
  let root: string;
  let entries;
  try {
    root = await realpath(resolve(dataDir));
    entries = await readdir(root, { withFileTypes: true });
  } catch (error) {
    throw new BackupError(
      "BACKUP_NOT_FOUND",
      `cannot read the backup data dir ${dataDir}: ${errnoOf(error) ?? "error"}`,
      {
        category: "input",
        hint: "pass GHE_DATA_DIR of backup-utils (or /data/backup/data for the backup service) and check its permissions",
        context: { path: dataDir },
        cause: error,
      },
    );
  }
  assertLooksLikeDataDir(root, dataDir, entries);
  const current = await currentTarget(root);
  const ids = entries
    .filter((entry) => entry.isDirectory() && SNAPSHOT_ID.test(entry.name))
    .map((entry) => entry.name)
    .sort();
  return {
    dataDir: root,
    snapshots: await Promise.all(ids.map((id) => describe(root, id, current))),
    current,
    inProgress: await exists(join(root, "in-progress")),
  };
}

function refuse(
  code: "BACKUP_SNAPSHOT_INCOMPLETE" | "BACKUP_IN_PROGRESS",
  message: string,
  hint: string,
  path: string,
): never {
  throw new BackupError(code, message, { category: "input", hint, context: { path } });
}

/**
 * Resolves a snapshot path (a snapshot dir or the `current` link) and checks
 * it may be processed: refuses an `incomplete` snapshot and a running backup
 * unless `force`. Throws `BACKUP_NOT_A_SNAPSHOT`, `BACKUP_PATH_ESCAPE`,
 * `BACKUP_SNAPSHOT_INCOMPLETE`, `BACKUP_IN_PROGRESS`.
 */
export async function openSnapshot(snapshotPath: string, options: { force?: boolean } = {}): Promise<SnapshotInfo> {
  const absolute = resolve(snapshotPath);
  let path = absolute;
  if (basename(absolute) === "current") {
    const target = await currentTarget(dirname(absolute));
    if (target === undefined) {
      throw new BackupError(
        "BACKUP_NO_CURRENT",
        `${absolute} does not exist: no backup has completed in this data dir`,
        {
          category: "input",
          hint: "run ghe-backup first, or name a snapshot directory",
          context: { path: absolute },
        },
      );
    }
    path = join(dirname(absolute), target);
  }
  // Missing is "not a snapshot"; EACCES and the like reject as they are (the path may well be one).
  const stats = await unlessMissing(lstat(path));
  if (!stats?.isDirectory() || !SNAPSHOT_ID.test(basename(path))) {
    throw new BackupError(
      "BACKUP_NOT_A_SNAPSHOT",
      `${snapshotPath} is not a snapshot directory (GHE_DATA_DIR/<YYYYMMDDTHHMMSS>)`,
      {
        category: "input",
        hint: "name a snapshot directory or the data dir's `current` link",
        context: { path: snapshotPath },
      },
    );
  }
  const dataDir = await realpath(dirname(path));
  const info = await describe(dataDir, basename(path), await currentTarget(dataDir));
  if (!options.force && info.incomplete) {
    refuse(
      "BACKUP_SNAPSHOT_INCOMPLETE",
      `snapshot ${info.id} is incomplete (it has an \`incomplete\` marker)`,
      "wait for the backup to finish, or use a complete snapshot; --force overrides",
      info.path,
    );
  }
  if (!options.force && (await exists(join(dataDir, "in-progress")))) {
    refuse(
      "BACKUP_IN_PROGRESS",
      `a backup is running in ${dataDir} (\`in-progress\` exists)`,
      "run the hook after ghe-backup finishes; if no backup runs, remove the stale in-progress file or use --force",
      dataDir,
    );
  }
  return info;
}

/**
 * Files of `snapshotDir` that are hard links shared with other snapshots of
 * its data dir (same dev+inode), mapped to those other paths.
 */
export async function sharedHardLinks(snapshotDir: string): Promise<Map<string, string[]>> {
  const listing = await walkTree(dirname(await realpath(snapshotDir)));
  const root = await realpath(snapshotDir);
  const shared = new Map<string, string[]>();
  for (const file of listing.files) {
    const paths = [file.path, ...file.linkedPaths];
    const inside = paths.filter((path) => path.startsWith(`${root}/`));
    const outside = paths.filter((path) => !path.startsWith(`${root}/`));
    if (inside.length > 0 && outside.length > 0) for (const path of inside) shared.set(path, outside);
  }
  return shared;
}
