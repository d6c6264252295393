import type { CredentialVault } from "@connect-ops/credential-vault";
import { readdir } from "node:fs/promises";
import { join } from "node:path";

export interface RemovedPath {
  readonly path: string;
  readonly bytes: number;
}

/** Temp files of atomic writes (`.NAME.tmp-…`) and `.pending` halves of vault commits, anywhere in the state dir. */
export async function plaintextCapableLeftovers(
  stateDir: string,
  isTempName: (name: string) => boolean,
): Promise<string[]> {
  const entries = await readdir(stateDir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries
    .filter(
      (entry) =>
        entry.isFile() &&
        (isTempName(entry.name) || entry.name.endsWith(".pending") || /^\.connect-ops-.*\.tmp$/.test(entry.name)),
    )
    .map((entry) => join(entry.parentPath, entry.name))
    .sort();
}

/**
 * Step 3: shreds the vault (sealed file, meta, lock, pending halves), every
 * temp or pending file left in the state dir, and the connect journal (it
 * names the deleted app; a later connect must start afresh). The age identity
 * and the audit signing key stay: they open nothing once the vault is gone,
 * and the signing key must sign the audit that follows.
 */
export async function destroyLocalCredentials(
  vault: CredentialVault,
  stateDir: string,
  journalDir: string,
): Promise<RemovedPath[]> {
  const { isTempName, shredFile } = await import("@connect-ops/credential-vault");
  const removed: RemovedPath[] = [...(await vault.destroy())];
  for (const path of await plaintextCapableLeftovers(stateDir, isTempName)) {
    removed.push({ path, bytes: await shredFile(path).catch(() => 0) });
  }
  const connectJournal = join(journalDir, "connect.json");
  const bytes = await shredFile(connectJournal).catch((error: NodeJS.ErrnoException) =>
    error.code === "ENOENT" ? undefined : Promise.reject(error),
  );
  if (bytes !== undefined) removed.push({ path: connectJournal, bytes });
  return removed;
}
