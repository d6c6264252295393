import { usageError } from "../errors.js";
import { readArgumentFile } from "./argument-file.js";

/** The escrow `backup include --escrow FILE` seals to, and the file it came from. */
export interface EscrowRecipient {
  readonly recipient: string;
  /** The resolved file: an identity (`backup escrow init`) or a recipient file. */
  readonly path: string;
  /** True when the file holds the identity itself (then `shred` can destroy it when it is on this host). */
  readonly holdsIdentity: boolean;
}

const ESCROW_HINT =
  "pass the file `connect-ops backup escrow init --out FILE` wrote, or a file holding its recipient (age1…)";

/**
 * Reads `--escrow FILE` through the bounded reader: an age identity file (the
 * recipient is derived; the identity is dropped at once) or a recipient file
 * holding one `age1…`. Anything else is `CLI_USAGE` (exit 2).
 */
export async function readEscrowRecipient(
  file: string,
  resolvePath: (path: string) => string,
): Promise<EscrowRecipient> {
  const path = resolvePath(file);
  const bytes = await readArgumentFile({ path, given: file, kind: "identity", what: "escrow file", hint: ESCROW_HINT });
  const lines = bytes
    .toString("utf8")
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"));
  bytes.fill(0);
  const { ageRecipientSchema, parseInput } = await import("@connect-ops/connection-core");
  const [first, ...rest] = lines;
  if (first === undefined || rest.length > 0)
    throw usageError(`the escrow file ${file} must hold exactly one identity or recipient`, ESCROW_HINT);
  if (first.startsWith("AGE-SECRET-KEY-1")) {
    const { recipientOf } = await import("@connect-ops/credential-vault");
    const recipient = await recipientOf(first).catch((error: unknown) => {
      throw usageError(`the escrow file ${file} holds no valid age identity`, ESCROW_HINT, error);
    });
    return { recipient, path, holdsIdentity: true };
  }
  const recipient = parseInput(ageRecipientSchema, first, "--escrow", ESCROW_HINT);
  const { checkSealableRecipients } = await import("./recipient-check.js");
  await checkSealableRecipients([recipient], "--escrow", ESCROW_HINT);
  return { recipient, path, holdsIdentity: false };
}
