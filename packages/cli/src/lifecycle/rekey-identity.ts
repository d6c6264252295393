import { ignoreMissing } from "@connect-ops/connection-core";
import { link, lstat, rename } from "node:fs/promises";
import { join } from "node:path";

/** The three identity files of a rekey, by their role. */
export function identityPaths(
  stateDir: string,
  names: { identity: string; nextIdentity: string; oldIdentity: string },
) {
  return {
    current: join(stateDir, names.identity),
    next: join(stateDir, names.nextIdentity),
    old: join(stateDir, names.oldIdentity),
  };
}

const exists = async (path: string): Promise<boolean> => (await ignoreMissing(lstat(path))) !== undefined;

/**
 * Makes the next identity the state dir's identity. The old one is first
 * hard-linked to `old` (same inode: the later shred overwrites its bytes in
 * place, which a rename over it would not), then `next` is renamed over the
 * identity file; the directory is fsynced. Each step is idempotent: a re-run
 * after a crash anywhere finishes it.
 */
export async function promoteNextIdentity(paths: ReturnType<typeof identityPaths>): Promise<void> {
  const { syncDirectory } = await import("@connect-ops/credential-vault");
  if (!(await exists(paths.next))) return;
  if (!(await exists(paths.old))) await link(paths.current, paths.old);
  await rename(paths.next, paths.current);
  await syncDirectory(join(paths.current, ".."));
}

/** Shreds the old identity (aside, overwrite, fsync, unlink; then fsyncs the dir), finishing one a killed run left aside; nothing when it is gone already. */
export async function destroyOldIdentity(
  paths: ReturnType<typeof identityPaths>,
  onStep: (step: "aside" | "overwritten") => void,
): Promise<boolean> {
  const { shredFile, syncDirectory } = await import("@connect-ops/credential-vault");
  const bytes = await ignoreMissing(shredFile(paths.old, { onStep }));
  await syncDirectory(join(paths.old, ".."));
  return bytes !== undefined;
}
