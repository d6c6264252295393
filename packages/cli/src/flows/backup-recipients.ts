import { ageRecipientSchema, parseInput } from "@connect-ops/connection-core";
import * as z from "zod";
import { usageError } from "../errors.js";
import { readArgumentFile } from "./argument-file.js";

export interface RecipientFlags {
  readonly recipient?: readonly string[] | undefined;
  readonly recipientsFile?: string | undefined;
}

const RECIPIENT_HINT =
  "pass the backup key's recipient, e.g. --recipient $(age-keygen -y backup-identity.txt), or --recipients-file FILE (one age1… per line)";

/** An age recipients file: one `age1…` per line, `#` comments and blank lines ignored (as `age -R` reads it). */
async function readRecipientsFile(file: string, resolvePath: (path: string) => string): Promise<string[]> {
  const bytes = await readArgumentFile({
    path: resolvePath(file),
    given: file,
    kind: "recipients",
    what: "recipients file",
    hint: RECIPIENT_HINT,
  });
  return bytes
    .toString("utf8")
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"));
}

/**
 * The backup recipients: `--recipient` and `--recipients-file` together, else
 * the config's `backupRecipients`. Refuses the appliance's own recipient: a
 * snapshot sealed to it cannot be restored once the appliance is lost, which
 * is the point of including the credentials. `resolvePath` resolves
 * `--recipients-file` against the caller's working directory.
 */
export async function resolveBackupRecipients(
  flags: RecipientFlags,
  appliance: { readonly recipient: string; readonly configured: readonly string[] },
  resolvePath: (path: string) => string,
): Promise<string[]> {
  const fromFlags = [
    ...(flags.recipient ?? []),
    ...(flags.recipientsFile === undefined ? [] : await readRecipientsFile(flags.recipientsFile, resolvePath)),
  ];
  const source = fromFlags.length > 0 ? "--recipient/--recipients-file" : "config backupRecipients";
  const chosen = fromFlags.length > 0 ? fromFlags : [...appliance.configured];
  if (chosen.length === 0) {
    throw usageError(
      "no backup recipient: the credentials must be sealed to a key kept off the appliance",
      `${RECIPIENT_HINT}; or set backupRecipients in the config`,
    );
  }
  const recipients = [...new Set(parseInput(z.array(ageRecipientSchema), chosen, source, RECIPIENT_HINT))];
  if (recipients.includes(appliance.recipient)) {
    throw usageError(
      `${source} names this appliance's own recipient: a restore onto a new appliance could not open the snapshot`,
      "seal to backup keys kept off the appliance (their identities stay with the backup operator)",
    );
  }
  return recipients;
}
