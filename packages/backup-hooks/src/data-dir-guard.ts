import type { Dirent } from "node:fs";
import { sep } from "node:path";
import { BackupError } from "./errors.js";

/**
 * Trees that are never a backup and whose walk would read the host itself
 * (`/proc/*\/pagemap`, devices): refused wherever a data dir or scan root is
 * given, also when a symlink leads there (callers pass the realpath).
 */
const SYSTEM_ROOTS = ["/proc", "/sys", "/dev", "/run"] as const;

/** The refusal for `/`, `/proc`, `/sys`, `/dev`, `/run` and anything below the last four. */
export function systemTreeRefusal(realPath: string, given: string): BackupError | undefined {
  const system =
    realPath === sep ? sep : SYSTEM_ROOTS.find((root) => realPath === root || realPath.startsWith(`${root}${sep}`));
  if (system === undefined) return undefined;
  const via = realPath === given ? "" : ` (${given} resolves to ${realPath})`;
  return new BackupError(
    "BACKUP_NOT_A_DATA_DIR",
    `refusing to walk ${system === sep ? "the whole filesystem" : `the system tree ${system}`}${via}: it is no backup`,
    {
      category: "input",
      hint: "pass the backup data dir (GHE_DATA_DIR of backup-utils, or /data/backup/data), a snapshot in it, or one file",
      context: { path: given, resolved: realPath },
    },
  );
}

/** backup-utils names snapshots `date +%Y%m%dT%H%M%S`. */
const SNAPSHOT_NAME = /^\d{8}T\d{6}$/;
/** What else backup-utils and the backup service leave at the top of a data dir. */
const DATA_DIR_MARKERS = new Set(["current", "in-progress", "in-progress-restore"]);

/**
 * Checks that the entries of `realPath` look like a backup data dir: at least
 * one timestamped snapshot dir or `current`/`in-progress`, or nothing at all
 * (a data dir before its first backup). Anything else is refused with
 * `BACKUP_NOT_A_DATA_DIR` and what was found, before anything is walked or changed.
 */
export function assertLooksLikeDataDir(realPath: string, given: string, entries: readonly Dirent[]): void {
  const refusal = systemTreeRefusal(realPath, given);
  if (refusal !== undefined) throw refusal;
  if (entries.length === 0) return;
  if (
    entries.some((entry) => DATA_DIR_MARKERS.has(entry.name) || (entry.isDirectory() && SNAPSHOT_NAME.test(entry.name)))
  )
    return;
  const sample = entries
    .slice(0, 5)
    .map((entry) => entry.name)
    .join(", ");
  throw new BackupError(
    "BACKUP_NOT_A_DATA_DIR",
    `${given} does not look like a backup data dir: none of its ${entries.length} entries (${sample}${entries.length > 5 ? ", …" : ""}) is a snapshot (YYYYMMDDTHHMMSS) or \`current\``,
    {
      category: "input",
      hint: "pass GHE_DATA_DIR of backup-utils (or /data/backup/data for the backup service); to scan a single snapshot or file use `connect-ops backup scan PATH`",
      context: { path: given, resolved: realPath, entries: entries.length },
    },
  );
}
