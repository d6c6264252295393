/**
 * The one narrow way to ignore a file-system error (issue 12): only ENOENT,
 * "it is not there", which is what a remove or a racing cleanup wanted
 * anyway. Every other failure (EACCES, EIO, ENOSPC…) changes what the user
 * must be told, so it is thrown on.
 */

/** The errno code of a Node system error (`ENOENT`, `EACCES`…), or undefined for anything else. */
export function errnoCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null | undefined)?.code;
  return typeof code === "string" ? code : undefined;
}

/** Resolves to `operation`'s value, or to undefined when it failed with ENOENT; rethrows every other error. */
export async function ignoreMissing<Value>(operation: Promise<Value>): Promise<Value | undefined> {
  try {
    return await operation;
  } catch (error) {
    if (errnoCode(error) === "ENOENT") return undefined;
    throw error;
  }
}
