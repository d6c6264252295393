import { usageError } from "../errors.js";

/**
 * Checks that each recipient is one age can seal to (bech32 with a valid
 * checksum: the schema checks only the shape) by sealing an empty message to
 * it. Throws `CLI_USAGE` (exit 2) naming the flag; nothing is written.
 */
export async function checkSealableRecipients(
  recipients: readonly string[],
  flag: string,
  hint: string,
): Promise<void> {
  const { sealBytes } = await import("@connect-ops/credential-vault");
  for (const recipient of recipients) {
    try {
      await sealBytes(new Uint8Array(0), [recipient]);
    } catch (error) {
      throw usageError(`${flag} ${recipient} is not a valid age recipient (bad bech32 checksum or type)`, hint, error);
    }
  }
}
