import {
  ignoreMissing,
  parseInput,
  parseJsonText,
  residueFingerprintsSchema,
  type ResidueFingerprints,
} from "@connect-ops/connection-core";
import { CredentialVault, STATE_FILES, ensureSafeDirectory, residueSetsOf } from "@connect-ops/credential-vault";
import { lstat } from "node:fs/promises";
import { join, resolve } from "node:path";
import * as z from "zod";
import { usageError } from "../errors.js";
import { readArgumentFile } from "./argument-file.js";
import { readJournal } from "./journal-file.js";

const fingerprintList = z.array(residueFingerprintsSchema).min(1);

/** The format `connect-ops fingerprints export` writes. */
export const FINGERPRINT_EXPORT_FORMAT = "connect-ops/fingerprints@1";

/** Ids and names of the connection the sets belong to: nothing secret (the audit asks the cloud about it). */
const subjectSchema = z.object({
  cloudUrl: z.url(),
  appId: z.number().int().positive(),
  appSlug: z.string().min(1).max(200),
  installationId: z.number().int().positive().optional(),
  recordId: z.number().int().positive().optional(),
});
export type ExportedSubject = z.infer<typeof subjectSchema>;

/**
 * A sealed copy the appliance's ledger recorded: the SHA-256 of the age file
 * and its recipients (public keys). Secret-free; off the appliance it is how
 * an audit knows one of our copies under any name (it holds no identity).
 */
const sealedCopySchema = z.object({
  sha256: z.string().regex(/^[0-9a-f]{64}$/, "a hex SHA-256"),
  recipients: z.array(z.string().min(1).max(2000)).max(1000),
});
export type ExportedSealedCopy = z.infer<typeof sealedCopySchema>;

export interface FingerprintFileContent {
  readonly sets: ResidueFingerprints[];
  readonly subject?: ExportedSubject;
  readonly sealedCopies?: ExportedSealedCopy[];
}

const exportSchema = z.object({
  format: z.literal(FINGERPRINT_EXPORT_FORMAT),
  exportedAt: z.string(),
  subject: subjectSchema.optional(),
  fingerprints: fingerprintList,
  sealedCopies: z.array(sealedCopySchema).max(100_000).optional(),
});

/**
 * What `--fingerprints FILE` may hold: the file `fingerprints export` writes
 * (which also names the connection), an array of fingerprint sets, one set,
 * a copied `vault/meta.json` (its `residue`), or a copied
 * `journal/disconnect.json` (its `fingerprints`). Accepting the last two lets
 * an operator copy a file from the appliance to the backup host as it is.
 */
const fingerprintsFileSchema = z.union([
  exportSchema.transform((file): FingerprintFileContent => ({
    sets: file.fingerprints,
    ...(file.subject === undefined ? {} : { subject: file.subject }),
    ...(file.sealedCopies === undefined ? {} : { sealedCopies: file.sealedCopies }),
  })),
  fingerprintList.transform((sets): FingerprintFileContent => ({ sets })),
  residueFingerprintsSchema.transform((set): FingerprintFileContent => ({ sets: [set] })),
  z
    .object({ residue: residueFingerprintsSchema })
    .transform((meta): FingerprintFileContent => ({ sets: [meta.residue] })),
  z
    .object({ fingerprints: fingerprintList })
    .transform((journal): FingerprintFileContent => ({ sets: journal.fingerprints })),
]);

const disconnectJournalSchema = z.object({ fingerprints: z.array(residueFingerprintsSchema).optional() });

const HOW_TO_GET =
  "run this on the appliance's state dir (--state-dir) while connected or after `connect-ops disconnect`, or pass --fingerprints FILE (written on the appliance by `connect-ops fingerprints export --out FILE`, or a copy of <state>/vault/meta.json or <state>/journal/disconnect.json)";

const FILE_HINT =
  "--fingerprints expects the file `connect-ops fingerprints export --out FILE` writes, a JSON array of fingerprint sets, one set, or a copy of <state>/vault/meta.json or <state>/journal/disconnect.json";

async function readFingerprintsFile(cwd: string, file: string): Promise<FingerprintFileContent> {
  const path = resolve(cwd, file);
  const text = (
    await readArgumentFile({ path, given: file, kind: "fingerprints", what: "fingerprints file", hint: HOW_TO_GET })
  ).toString("utf8");
  return parseInput(fingerprintsFileSchema, parseJsonText(text, file), file, FILE_HINT);
}

/** The vault's and the disconnect journal's fingerprints; nothing (no error) when the state dir does not exist. */
async function readStateFingerprints(stateDir: string): Promise<ResidueFingerprints[]> {
  // Only ENOENT is "no state dir": an unreadable one must not pass as "no fingerprints to look for".
  if ((await ignoreMissing(lstat(stateDir))) === undefined) return [];
  await ensureSafeDirectory(stateDir);
  const sets: ResidueFingerprints[] = [];
  const meta = await new CredentialVault(join(stateDir, STATE_FILES.vault)).readMeta();
  // The active key's set and those of keys rotated out (`rotate-key`): old snapshots hold old keys.
  sets.push(...residueSetsOf(meta));
  const journalPath = join(stateDir, STATE_FILES.journal);
  const journal = await readJournal<unknown>(journalPath, "disconnect");
  if (journal !== undefined) {
    const parsed = parseInput(
      disconnectJournalSchema,
      journal,
      join(journalPath, "disconnect.json"),
      "the disconnect journal is damaged; pass --fingerprints FILE instead",
    );
    sets.push(...(parsed.fingerprints ?? []));
  }
  return sets;
}

export interface FingerprintSources {
  readonly stateDir: string;
  /** `--fingerprints FILE` as typed (named so in errors), resolved against `cwd`. */
  readonly fingerprintsFile?: string | undefined;
  readonly cwd?: string;
}

/**
 * The secret-free fingerprint sets a scan or redaction looks for: the
 * connected vault's (`meta.json` `residue`), those the disconnect journal kept
 * (`<state>/journal/disconnect.json` `fingerprints`), and `--fingerprints FILE`.
 * All sources are combined: a data dir can hold snapshots of an earlier
 * connection as well as of the current one. Throws a usage error (exit 2)
 * saying how to get fingerprints when there are none.
 */
export async function loadResidueFingerprints(source: FingerprintSources): Promise<ResidueFingerprints[]> {
  return (await loadFingerprintSources(source)).sets;
}

export interface LoadedFingerprints {
  /** Every set, one per id (the state dir's first). */
  readonly sets: ResidueFingerprints[];
  /** How many sets the state dir itself holds: 0 means the audit runs off the appliance. */
  readonly fromStateDir: number;
  /** The connection named by `--fingerprints FILE` (an export), when it names one. */
  readonly fileSubject?: ExportedSubject;
  /** The sealed copies an export's ledger lists (none for the other file forms). */
  readonly fileSealedCopies: readonly ExportedSealedCopy[];
}

/** As `loadResidueFingerprints`, saying also where the sets came from. Same errors. */
export async function loadFingerprintSources(source: FingerprintSources): Promise<LoadedFingerprints> {
  const sets = await readStateFingerprints(source.stateDir);
  const fromStateDir = sets.length;
  let fileSubject: ExportedSubject | undefined;
  let fileSealedCopies: readonly ExportedSealedCopy[] = [];
  if (source.fingerprintsFile !== undefined) {
    const file = await readFingerprintsFile(source.cwd ?? process.cwd(), source.fingerprintsFile);
    sets.push(...file.sets);
    fileSubject = file.subject;
    fileSealedCopies = file.sealedCopies ?? [];
  }
  const unique = new Map(sets.map((set) => [set.id, set]));
  if (unique.size === 0) {
    throw usageError(
      `no credential fingerprints to look for: ${source.stateDir} holds no connected vault and no disconnect journal`,
      HOW_TO_GET,
    );
  }
  return {
    sets: [...unique.values()],
    fromStateDir,
    fileSealedCopies,
    ...(fileSubject === undefined ? {} : { fileSubject }),
  };
}
