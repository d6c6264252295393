/**
 * Checks each (resolved) `--data-dir` is a readable backup data dir before
 * anything is changed. Throws `BACKUP_NOT_FOUND` (exit 2) naming the dir.
 */
export async function checkDataDirs(dataDirs: readonly string[]): Promise<string[]> {
  if (dataDirs.length === 0) return [];
  const { listSnapshots } = await import("@connect-ops/backup-hooks");
  const resolved: string[] = [];
  for (const dir of dataDirs) resolved.push((await listSnapshots(dir)).dataDir);
  return [...new Set(resolved)];
}
