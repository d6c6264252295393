import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { readJournal, writeJournal } from "./journal-file.js";

/**
 * `<state>/journal/included-copies.json`: the SHA-256 of every sealed copy `backup include`
 * (or the include hook) wrote or confirmed for the vault's generation. `backup scan --policy
 * include` accepts a sealed copy only when its bytes hash to one of these and the generation
 * is the vault's current one: a manifest in the snapshot can be edited, this record cannot
 * from the snapshot. A new generation starts a new record (older copies stay residue).
 */
export interface IncludedCopies {
  readonly generation: number;
  readonly keyFingerprint: string;
  readonly sha256: readonly string[];
}

const NAME = "included-copies";

export async function sha256OfFile(path: string): Promise<string> {
  return createHash("sha256")
    .update(await readFile(path))
    .digest("hex");
}

export async function readIncludedCopies(journalDir: string): Promise<IncludedCopies | undefined> {
  return await readJournal<IncludedCopies>(journalDir, NAME);
}

/** Adds one copy's hash for `generation` (a record of another generation is replaced). */
export async function recordIncludedCopy(
  journalDir: string,
  copy: { readonly generation: number; readonly keyFingerprint: string; readonly sha256: string },
): Promise<void> {
  const existing = await readIncludedCopies(journalDir);
  const same = existing?.generation === copy.generation && existing.keyFingerprint === copy.keyFingerprint;
  const hashes = same ? existing.sha256 : [];
  if (hashes.includes(copy.sha256)) return;
  await writeJournal(journalDir, NAME, {
    generation: copy.generation,
    keyFingerprint: copy.keyFingerprint,
    sha256: [...hashes, copy.sha256],
  } satisfies IncludedCopies);
}
