import type { AgeAudit } from "@connect-ops/backup-hooks";
import { join } from "node:path";

/**
 * What an audit judges an age file with (issue 13.3): the hashes and
 * recipients of every sealed copy the state dir's ledger recorded, and (on
 * the appliance) the identities the state dir holds — the current one, a
 * rekey's next one and the old one until shredded — read into memory only.
 * A missing or unreadable state dir, ledger or identity gives none of them:
 * every age file the scan meets is then a gap, never CLEAN.
 */
export async function loadAgeAudit(stateDir: string, options: { identities: boolean }): Promise<AgeAudit> {
  const { readIdentityFile, readSealedCopies, STATE_FILES } = await import("@connect-ops/credential-vault");
  const knownCopies = await readSealedCopies(stateDir).then(
    (copies) => copies.map((copy) => ({ sha256: copy.sha256, recipients: copy.recipients })),
    () => [],
  );
  if (!options.identities) return { knownCopies, identities: [] };
  const identities: string[] = [];
  for (const name of [STATE_FILES.identity, STATE_FILES.nextIdentity, STATE_FILES.oldIdentity]) {
    const held = await readIdentityFile(join(stateDir, name)).catch(() => []);
    for (const identity of held) if (!identities.includes(identity)) identities.push(identity);
  }
  return { knownCopies, identities };
}
