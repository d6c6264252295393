import { readFile } from "node:fs/promises";
import { join } from "node:path";
import * as z from "zod";

/** Written into a snapshot once the hook has finished with it: the next hook run skips that snapshot. */
export const HOOK_MARKER = "connect-ops-hook.json";

const markerSchema = z.object({
  format: z.literal("connect-ops/backup-hook@1"),
  policy: z.enum(["include", "redact"]),
  processedAt: z.string(),
  /** include: the vault generation sealed into the snapshot (a newer one is sealed again). */
  generation: z.number().optional(),
});

export type HookMarker = z.infer<typeof markerSchema>;

/**
 * The snapshot's marker, or undefined when it has none. A marker that is not ours (damaged,
 * another format) reads as absent: the snapshot is processed again, which is always safe.
 */
export async function readHookMarker(snapshotDir: string): Promise<HookMarker | undefined> {
  let text: string;
  try {
    text = await readFile(join(snapshotDir, HOOK_MARKER), "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  try {
    const parsed = markerSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined; // not JSON: a torn copy by hand; the atomic write never leaves one
  }
}

/** Atomically (temp file, fsync, rename): a kill leaves either no marker or the whole one, never half of it. */
export async function writeHookMarker(snapshotDir: string, marker: HookMarker): Promise<void> {
  const { atomicWriteFile, removeStaleTemps } = await import("@connect-ops/credential-vault");
  await removeStaleTemps(snapshotDir);
  await atomicWriteFile(join(snapshotDir, HOOK_MARKER), Buffer.from(`${JSON.stringify(marker, null, 2)}\n`), {
    mode: 0o644,
  });
}
