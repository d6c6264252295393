import type { AgeAudit, KnownSealedCopy } from "@connect-ops/backup-hooks";
import { join } from "node:path";

/**
 * What an audit judges an age file with (issue 13.3): the hashes and
 * recipients of every sealed copy the state dir's ledger recorded, and (on
 * the appliance) the identities the state dir holds — the current one, a
 * rekey's next one and the old one until shredded — read into memory only.
 * plus the copies `fingerprints export` carried (`knownCopies`: off the
 * appliance the only way to know one of ours). A missing or unreadable state
 * dir, ledger or identity gives none of them: every age file the scan meets
 * is then a gap, never CLEAN.
 */
export async function loadAgeAudit(
  stateDir: string,
  options: { identities: boolean; knownCopies?: readonly KnownSealedCopy[] },
): Promise<AgeAudit> {
  const { readIdentityFile, readSealedCopies, STATE_FILES } = await import("@connect-ops/credential-vault");
  const recorded = await readSealedCopies(stateDir).then(
    (copies) => copies.map((copy) => ({ sha256: copy.sha256, recipients: copy.recipients })),
    () => [],
  );
  const knownCopies: KnownSealedCopy[] = [...recorded];
  for (const copy of options.knownCopies ?? [])
    if (!knownCopies.some((known) => known.sha256 === copy.sha256)) knownCopies.push(copy);
  if (!options.identities) return { knownCopies, identities: [] };
  const identities: string[] = [];
  for (const name of [STATE_FILES.identity, STATE_FILES.nextIdentity, STATE_FILES.oldIdentity]) {
    const held = await readIdentityFile(join(stateDir, name)).catch(() => []);
    for (const identity of held) if (!identities.includes(identity)) identities.push(identity);
  }
  return { knownCopies, identities };
}
