import type { BackupSettings } from "@connect-ops/backup-hooks";
import { usageError } from "../errors.js";
import { readArgumentFile } from "./argument-file.js";

/**
 * The data dir a backup command works on: `--data-dir` as given, else
 * GHE_DATA_DIR of `--backup-config FILE`, else of the first backup.config
 * backup-utils itself would read ($GHE_BACKUP_CONFIG, $GHE_BACKUP_ROOT/backup.config,
 * ~/.github-backup-utils/backup.config, /etc/github-backup-utils/backup.config).
 * The config is parsed, never sourced: a line bash would have to run is refused (exit 2).
 */
export async function resolveBackupSettings(
  flags: { readonly dataDir?: string; readonly backupConfig?: string },
  env: Readonly<Record<string, string | undefined>>,
  resolvePath: (path: string) => string,
): Promise<BackupSettings & { readonly source: string }> {
  if (flags.dataDir !== undefined && flags.backupConfig !== undefined)
    throw usageError("--data-dir and --backup-config both name the data dir", "pass one of them");
  if (flags.dataDir !== undefined)
    return { dataDir: resolvePath(flags.dataDir), numSnapshots: 10, source: "--data-dir" };
  const { backupConfigCandidates, backupSettings, parseBackupConfig } = await import("@connect-ops/backup-hooks");
  const { existsSync } = await import("node:fs");
  const path =
    flags.backupConfig === undefined
      ? backupConfigCandidates(env).find((candidate) => existsSync(candidate))
      : resolvePath(flags.backupConfig);
  if (path === undefined) {
    throw usageError(
      "no --data-dir, and no backup.config where backup-utils looks for one",
      `pass --data-dir DIR or --backup-config FILE (looked in: ${backupConfigCandidates(env).join(", ")})`,
    );
  }
  const text = await readArgumentFile({
    path,
    given: flags.backupConfig ?? path,
    kind: "config",
    what: "backup config",
    hint: "pass the backup.config of backup-utils (--backup-config FILE)",
  });
  const settings = backupSettings(parseBackupConfig(text.toString("utf8"), path, env), env);
  return { ...settings, dataDir: resolvePath(settings.dataDir), source: path };
}
