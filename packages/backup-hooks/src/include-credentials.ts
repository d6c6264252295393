import { lstat, readFile } from "node:fs/promises";
import { join } from "node:path";
import * as z from "zod";
import { ageRecipientSchema, makeDirectories } from "@connect-ops/connection-core";
import { atomicWriteFile, removeStaleTemps } from "@connect-ops/credential-vault";
import { BackupError } from "./errors.js";
import { unlessMissing } from "./fs-errors.js";
import { assertWritableInside } from "./path-guard.js";
import { CONNECT_DIR } from "./redact-snapshot.js";

/** What `github-connect/manifest.json` says about the sealed copy. Holds no secret. */
export const includedManifestSchema = z.object({
  generation: z.number().int().nonnegative(),
  appId: z.number().int().positive(),
  keyFingerprint: z.string().startsWith("SHA256:"),
  tokenExpiresAt: z.iso.datetime(),
  recipients: z.array(ageRecipientSchema).min(1),
  created: z.iso.datetime(),
});
export type IncludedManifest = z.infer<typeof includedManifestSchema>;

export interface IncludeInput {
  /** The credentials, already sealed (age) to the backup recipients by the caller. */
  readonly sealed: Uint8Array;
  readonly manifest: Omit<IncludedManifest, "created">;
  readonly now?: () => Date;
}

export interface IncludeResult {
  readonly changed: boolean;
  readonly manifest: IncludedManifest;
}

const SEALED_FILE = "credentials.age";
const MANIFEST_FILE = "manifest.json";

function sameRecipients(a: readonly string[], b: readonly string[]): boolean {
  return JSON.stringify([...a].sort()) === JSON.stringify([...b].sort());
}

/**
 * Writes `github-connect/credentials.age` then `manifest.json` (the manifest
 * last, so its presence means the pair is whole), mode 0600 in a 0700 dir.
 * Idempotent: the same generation and recipients leave the files unchanged.
 * `snapshotDir` must be a checked snapshot (see openSnapshot).
 */
export async function includeCredentials(snapshotDir: string, input: IncludeInput): Promise<IncludeResult> {
  const existing = await readIncludedCredentials(snapshotDir).catch((error: unknown) => {
    // A damaged manifest is what this call repairs: written anew below. Any other failure stops the include.
    if (error instanceof BackupError && error.code === "BACKUP_MANIFEST_INVALID") return undefined;
    throw error;
  });
  if (
    existing &&
    existing.manifest.generation === input.manifest.generation &&
    sameRecipients(existing.manifest.recipients, input.manifest.recipients)
  ) {
    const directory = join(snapshotDir, CONNECT_DIR);
    await assertWritableInside(snapshotDir, directory);
    if ((await lstat(directory)).isDirectory()) await removeStaleTemps(directory);
    return { changed: false, manifest: existing.manifest };
  }
  const manifest = includedManifestSchema.parse({
    ...input.manifest,
    created: (input.now ?? (() => new Date()))().toISOString(),
  });
  const directory = join(snapshotDir, CONNECT_DIR);
  await assertWritableInside(snapshotDir, directory);
  await makeDirectories(directory, 0o700);
  if (!(await lstat(directory)).isDirectory()) {
    throw new BackupError("BACKUP_PATH_ESCAPE", `${directory} is not a directory`, {
      category: "input",
      context: { path: directory },
    });
  }
  await removeStaleTemps(directory);
  await atomicWriteFile(join(directory, SEALED_FILE), input.sealed, { mode: 0o600 });
  await atomicWriteFile(join(directory, MANIFEST_FILE), Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`), {
    mode: 0o600,
  });
  return { changed: true, manifest };
}

/**
 * The sealed credentials and manifest of a snapshot, or undefined when none
 * were included. Throws `BACKUP_MANIFEST_INVALID` for a damaged manifest.
 */
export async function readIncludedCredentials(
  snapshotDir: string,
): Promise<{ sealed: Uint8Array; manifest: IncludedManifest } | undefined> {
  const directory = join(snapshotDir, CONNECT_DIR);
  const [sealed, text] = await Promise.all([
    // Missing means "not included"; an unreadable file (EACCES, EIO) is not the same answer and rejects.
    unlessMissing(readFile(join(directory, SEALED_FILE))),
    unlessMissing(readFile(join(directory, MANIFEST_FILE), "utf8")),
  ]);
  if (sealed === undefined || text === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    // Not JSON: reported below as BACKUP_MANIFEST_INVALID, like JSON of the wrong shape.
    if (!(error instanceof SyntaxError)) throw error;
  }
  const result = includedManifestSchema.safeParse(parsed);
  if (!result.success) {
    throw new BackupError(
      "BACKUP_MANIFEST_INVALID",
      `${join(directory, MANIFEST_FILE)} is not a valid connect-ops manifest`,
      {
        category: "input",
        hint: "run `connect-ops backup include` again for this snapshot",
        context: { path: join(directory, MANIFEST_FILE) },
      },
    );
  }
  return { sealed: new Uint8Array(sealed), manifest: result.data };
}
