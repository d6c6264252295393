import { ageRecipientSchema, connectionRecordSchema, residueFingerprintsSchema } from "@connect-ops/connection-core";
import * as z from "zod";

export { VAULT_FILES } from "./layout.js";

/**
 * `vault/meta.json`: everything about the sealed credentials that is not
 * secret, so that `status`, `token` on a cache hit, replication and audits
 * never need to decrypt. `sealedSha256` is the digest of `credentials.age`
 * and lets a reader notice a damaged or swapped sealed file cheaply.
 */
export const vaultMetaSchema = z.object({
  format: z.literal("connect-ops/vault-meta@1"),
  generation: z.number().int().nonnegative(),
  sealedSha256: z.string().regex(/^[0-9a-f]{64}$/),
  recipients: z.array(ageRecipientSchema).min(1),
  updatedAt: z.iso.datetime({ offset: true }),
  cloudUrl: z.string().optional(),
  appId: z.number().int().positive().optional(),
  appSlug: z.string().optional(),
  installationId: z.number().int().positive().optional(),
  keyFingerprint: z.string().startsWith("SHA256:").optional(),
  tokenExpiresAt: z.iso.datetime({ offset: true }).optional(),
  recordId: z.number().int().positive().optional(),
  record: connectionRecordSchema.optional(),
  residue: residueFingerprintsSchema.optional(),
  /** Fingerprints of the keys `rotate-key` is retiring (still sealed until `--finish` proves the cloud refuses them). */
  retiringKeyFingerprints: z.array(z.string().startsWith("SHA256:")).optional(),
  /** The fingerprint sets of every key rotated out: audits keep finding them in old snapshots. */
  retiredResidue: z.array(residueFingerprintsSchema).optional(),
});
export type VaultMeta = z.infer<typeof vaultMetaSchema>;
