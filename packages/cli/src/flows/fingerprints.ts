import {
  ignoreMissing,
  parseInput,
  parseJsonText,
  residueFingerprintsSchema,
  type ResidueFingerprints,
} from "@connect-ops/connection-core";
import { CredentialVault, STATE_FILES, ensureSafeDirectory } from "@connect-ops/credential-vault";
import { lstat } from "node:fs/promises";
import { join, resolve } from "node:path";
import * as z from "zod";
import { usageError } from "../errors.js";
import { readArgumentFile } from "./argument-file.js";
import { readJournal } from "./journal-file.js";

const fingerprintList = z.array(residueFingerprintsSchema).min(1);

/**
 * What `--fingerprints FILE` may hold: an array of fingerprint sets, one set,
 * a copied `vault/meta.json` (its `residue`), or a copied
 * `journal/disconnect.json` (its `fingerprints`). Accepting the last two lets
 * an operator copy a file from the appliance to the backup host as it is.
 */
const fingerprintsFileSchema = z.union([
  fingerprintList,
  residueFingerprintsSchema.transform((set) => [set]),
  z.object({ residue: residueFingerprintsSchema }).transform((meta) => [meta.residue]),
  z.object({ fingerprints: fingerprintList }).transform((journal) => journal.fingerprints),
]);

const disconnectJournalSchema = z.object({ fingerprints: z.array(residueFingerprintsSchema).optional() });

const HOW_TO_GET =
  "run this on the appliance's state dir (--state-dir) while connected or after `connect-ops disconnect`, or pass --fingerprints FILE (a copy of <state>/vault/meta.json or <state>/journal/disconnect.json from the appliance)";

const FILE_HINT =
  "--fingerprints expects a JSON array of fingerprint sets, one set, or a copy of <state>/vault/meta.json or <state>/journal/disconnect.json";

async function readFingerprintsFile(cwd: string, file: string): Promise<ResidueFingerprints[]> {
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
  if (meta?.residue !== undefined) sets.push(meta.residue);
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
  const sets = await readStateFingerprints(source.stateDir);
  if (source.fingerprintsFile !== undefined)
    sets.push(...(await readFingerprintsFile(source.cwd ?? process.cwd(), source.fingerprintsFile)));
  const unique = new Map(sets.map((set) => [set.id, set]));
  if (unique.size === 0) {
    throw usageError(
      `no credential fingerprints to look for: ${source.stateDir} holds no connected vault and no disconnect journal`,
      HOW_TO_GET,
    );
  }
  return [...unique.values()];
}
