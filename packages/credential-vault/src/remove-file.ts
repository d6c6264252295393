import { errnoCode } from "@connect-ops/connection-core";
import { unlink } from "node:fs/promises";
import { VaultError } from "./errors.js";

/**
 * Removes the file at `path`; a file already gone is fine (ENOENT). Any other
 * failure leaves the file there, which the user must hear about: it throws
 * `VAULT_WRITE_FAILED` naming `what` and the errno code.
 */
export async function removeFileIfPresent(path: string, what: string): Promise<void> {
  try {
    await unlink(path);
  } catch (error) {
    const code = errnoCode(error);
    if (code === "ENOENT") return;
    throw new VaultError("VAULT_WRITE_FAILED", `could not remove ${what} ${path} (${code ?? "error"})`, {
      category: "incomplete",
      hint: "check permissions of the state dir and run the command again as its owner",
      context: { path, errno: code },
      cause: error,
    });
  }
}

/**
 * Best-effort removal of our own half-written file after `primary` already
 * failed: never replaces that error. Returns the errno code when the file is
 * still there (so the caller can say so), undefined when it is gone.
 */
export async function removeAfterFailure(path: string): Promise<string | undefined> {
  try {
    await unlink(path);
    return undefined;
  } catch (error) {
    const code = errnoCode(error);
    return code === "ENOENT" ? undefined : (code ?? "error");
  }
}
