import {
  connectionRecordSchema,
  parseInput,
  parseJsonText,
  residueFingerprintsSchema,
} from "@connect-ops/connection-core";
import { credentialsBundleSchema, enrolledNodeSchema } from "@connect-ops/credential-vault";
import * as z from "zod";

/**
 * The document sealed into a snapshot's `github-connect/credentials.age`: the
 * vault's bundle (App key, installation, cached token) plus what a restore on
 * a new appliance needs and `meta.json` would otherwise have held — the
 * connection record (hostname, account) and the residue fingerprints, so
 * scans after the restore still recognise tokens minted before the snapshot.
 */
export const backupCredentialsSchema = z.object({
  format: z.literal("connect-ops/backup-credentials@1"),
  credentials: credentialsBundleSchema,
  recordId: z.number().int().positive().optional(),
  record: connectionRecordSchema.optional(),
  residue: residueFingerprintsSchema.optional(),
  /** The fingerprint sets of keys rotated out (`rotate-key --finish`): a restore keeps finding them in old snapshots. */
  retiredResidue: z.array(residueFingerprintsSchema).optional(),
  /** The nodes enrolled with their own identity (recipients and identity hashes, no secret): a restore keeps them enrolled. */
  enrolledNodes: z.array(enrolledNodeSchema).optional(),
});
export type BackupCredentials = z.infer<typeof backupCredentialsSchema>;

/** Parses decrypted bytes; throws `CORE_INVALID_INPUT` (never echoing content) when they are not a backup document. */
export function parseBackupCredentials(plaintext: Uint8Array, source: string): BackupCredentials {
  const text = Buffer.from(plaintext).toString("utf8");
  return parseInput(
    backupCredentialsSchema,
    parseJsonText(text, source),
    source,
    "include the credentials again with `connect-ops backup include` on the appliance",
  );
}
