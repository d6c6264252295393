import { trackTemp } from "@connect-ops/connection-core";
import { syncDirectory } from "@connect-ops/credential-vault";
import { randomBytes } from "node:crypto";
import { link, rename, unlink } from "node:fs/promises";
import { dirname } from "node:path";
import { isMissing } from "./fs-errors.js";

/**
 * Renames a finished (fsynced) temp file onto each target. Several targets
 * (hard links of one file inside the same snapshot) get links of the new file,
 * so they stay linked to each other; the old inode, shared with other
 * snapshots, is never written.
 */
export async function replaceWith(temp: string, targets: readonly string[]): Promise<void> {
  const directories = new Set<string>();
  // Boxed: what was thrown is unknown (a bare `undefined` thrown is still a failure).
  let failure: { error: unknown } | undefined;
  try {
    for (const target of targets) {
      const staged = `${target}.${randomBytes(6).toString("hex")}.new`;
      // Tracked before it exists: a signal between link and rename must not leave it (issue 13.5).
      const untrack = trackTemp(staged);
      try {
        await link(temp, staged);
        await rename(staged, target);
      } finally {
        untrack();
      }
      directories.add(dirname(target));
    }
  } catch (error) {
    failure = { error };
  }
  try {
    await unlink(temp);
  } catch (error) {
    // Already gone is fine; otherwise it is reported, after the failure that came first (the temp sits in redact's scratch dir, removed with it).
    if (!isMissing(error)) failure ??= { error };
  }
  if (failure !== undefined) throw failure.error;
  directories.add(dirname(temp));
  for (const directory of directories) await syncDirectory(directory);
}
