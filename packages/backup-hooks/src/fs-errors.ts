/** The errno code of a failed fs call (`ENOENT`, `EACCES`, …), or undefined for anything else. */
export function errnoOf(error: unknown): string | undefined {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === "string" ? code : undefined;
}

/** The path is not there: it does not exist (ENOENT), or a component of it is not a directory (ENOTDIR). */
export function isMissing(error: unknown): boolean {
  const code = errnoOf(error);
  return code === "ENOENT" || code === "ENOTDIR";
}

/**
 * Resolves to undefined when the fs call failed because its path is missing;
 * every other failure (EACCES, EIO, …) still rejects: it would change what the
 * operator is told, so it is never read as "not there".
 */
export async function unlessMissing<T>(pending: Promise<T>): Promise<T | undefined> {
  try {
    return await pending;
  } catch (error) {
    if (isMissing(error)) return undefined;
    throw error;
  }
}
