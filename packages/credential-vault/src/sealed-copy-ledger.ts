import {
  ageRecipientSchema,
  ignoreMissing,
  parseInput,
  parseJsonText,
  readInputText,
} from "@connect-ops/connection-core";
import { stat } from "node:fs/promises";
import { join } from "node:path";
import * as z from "zod";
import { atomicWriteFile } from "./atomic-write.js";
import { STATE_FILES } from "./layout.js";

/**
 * One sealed copy this tool wrote: where, its SHA-256 and the recipients it
 * opens with. Secret-free: the ledger is what lets `verify-cleanup` call a copy
 * `shredded` once every one of its recipients' identities is destroyed, even a
 * copy it can no longer reach (issue 17.3).
 */
export const sealedCopyEntrySchema = z
  .object({
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    recipients: z.array(ageRecipientSchema).min(1),
    /** `vault` (a generation: the primary's and every node's copy), `snapshot` (backup include). */
    kind: z.enum(["vault", "snapshot"]),
    where: z.string().min(1).max(4096),
    at: z.iso.datetime({ offset: true }),
  })
  .strict();
export type SealedCopyEntry = z.infer<typeof sealedCopyEntrySchema>;

const ledgerSchema = z
  .object({ format: z.literal("connect-ops/sealed-copies@1"), copies: z.array(sealedCopyEntrySchema) })
  .strict();

/** The ledger of a state dir, oldest first; `[]` when none was written. Throws `CORE_INVALID_INPUT` for a damaged one. */
export async function readSealedCopies(stateDir: string): Promise<SealedCopyEntry[]> {
  const path = join(stateDir, STATE_FILES.sealedCopies);
  if ((await ignoreMissing(stat(path))) === undefined) return [];
  const text = await readInputText(path, { kind: "journal" });
  return parseInput(ledgerSchema, parseJsonText(text, path), path, "restore the file from the state dir's backup")
    .copies;
}

/**
 * Appends `entry` (atomic, durable rewrite, 0600). The same SHA-256 at the
 * same place is recorded once, so a re-run after a crash adds nothing. The
 * caller holds the vault lock (every writer of the ledger does: no update is
 * lost, and taking it swept the temp a killed earlier write left).
 */
export async function recordSealedCopy(stateDir: string, entry: SealedCopyEntry): Promise<void> {
  const copies = await readSealedCopies(stateDir);
  if (copies.some((copy) => copy.sha256 === entry.sha256 && copy.where === entry.where)) return;
  const document = { format: "connect-ops/sealed-copies@1", copies: [...copies, entry] };
  await atomicWriteFile(
    join(stateDir, STATE_FILES.sealedCopies),
    Buffer.from(`${JSON.stringify(document, null, 2)}\n`),
  );
}
