import { mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";

/** Reads a JSON journal from `<state>/journal/NAME.json`; undefined when absent. */
export async function readJournal<T>(journalDir: string, name: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(join(journalDir, `${name}.json`), "utf8")) as T;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

/** Writes a journal atomically and durably (the journal dir is 0700, files 0600). */
export async function writeJournal(journalDir: string, name: string, value: unknown): Promise<void> {
  const { atomicWriteFile, removeStaleTemps } = await import("@connect-ops/credential-vault");
  await mkdir(journalDir, { recursive: true, mode: 0o700 });
  // A run killed mid-write leaves its temp file; the next write of the journal clears it.
  await removeStaleTemps(journalDir);
  await atomicWriteFile(join(journalDir, `${name}.json`), Buffer.from(`${JSON.stringify(value, null, 2)}\n`), {
    mode: 0o600,
  });
}
