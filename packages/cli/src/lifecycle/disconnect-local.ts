import { errnoCode, ignoreMissing } from "@connect-ops/connection-core";
import type { CredentialVault } from "@connect-ops/credential-vault";
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { CliError } from "../errors.js";

export interface RemovedPath {
  readonly path: string;
  readonly bytes: number;
}

/** Temp files of atomic writes (`.NAME.tmp-…`), files a killed shred left aside (`.NAME.destroying`) and `.pending` halves of vault commits, anywhere in the state dir. */
export async function plaintextCapableLeftovers(
  stateDir: string,
  isTempName: (name: string) => boolean,
  isShreddingName: (name: string) => boolean,
): Promise<string[]> {
  // No state dir, no leftovers; any other failure is thrown (an unread dir is never "none left").
  const entries = (await ignoreMissing(readdir(stateDir, { recursive: true, withFileTypes: true }))) ?? [];
  return entries
    .filter(
      (entry) =>
        entry.isFile() &&
        (isTempName(entry.name) ||
          isShreddingName(entry.name) ||
          entry.name.endsWith(".pending") ||
          /^\.connect-ops-.*\.tmp$/.test(entry.name)),
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
  const { isShreddingName, isTempName, shredFile } = await import("@connect-ops/credential-vault");
  const removed: RemovedPath[] = [...(await vault.destroy())];
  const failed: { path: string; error: unknown }[] = [];
  for (const path of await plaintextCapableLeftovers(stateDir, isTempName, isShreddingName)) {
    // A leftover already gone is fine; one that could not be shredded is collected and reported below.
    const bytes = await ignoreMissing(shredFile(path)).catch((error: unknown) => void failed.push({ path, error }));
    if (bytes !== undefined) removed.push({ path, bytes });
  }
  if (failed.length > 0) {
    const named = failed.map(({ path, error }) => `${path} (${errnoCode(error) ?? "error"})`).join(", ");
    throw new CliError(
      "CLI_SHRED_FAILED",
      `the vault is destroyed but ${failed.length} leftover file(s) could not be shredded: ${named}`,
      {
        category: "incomplete",
        hint: "fix the cause (permissions, a read-only or full filesystem) and run disconnect again: it resumes at this step",
        cause: new AggregateError(failed.map(({ error }) => error)),
      },
    );
  }
  const connectJournal = join(journalDir, "connect.json");
  const bytes = await ignoreMissing(shredFile(connectJournal));
  if (bytes !== undefined) removed.push({ path: connectJournal, bytes });
  return removed;
}
