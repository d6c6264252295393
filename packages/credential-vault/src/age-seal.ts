import { VaultError } from "./errors.js";

/** age-encryption is loaded on first use: commands that only read meta.json (status, a token cache hit) never pay for it. */
const loadAge = () => import("age-encryption");

/**
 * Seals `plaintext` to age X25519 recipients (`age1…`). The output is a binary
 * age v1 file that the reference `age -d -i IDENTITY` decrypts.
 */
export async function sealBytes(plaintext: Uint8Array, recipients: readonly string[]): Promise<Uint8Array> {
  if (recipients.length === 0) {
    throw new VaultError("VAULT_WRITE_FAILED", "cannot seal credentials to zero recipients", {
      category: "input",
      hint: "give at least one age recipient (age1…)",
    });
  }
  const { Encrypter } = await loadAge();
  const encrypter = new Encrypter();
  for (const recipient of recipients) encrypter.addRecipient(recipient);
  return encrypter.encrypt(plaintext);
}

/** The age header's first line; anything else is not an age v1 file. */
const AGE_MAGIC = "age-encryption.org/v1\n";

/**
 * Opens an age file with any of `identities` (`AGE-SECRET-KEY-1…`).
 * Throws `VAULT_INTEGRITY` for a file that is not age, truncated or altered,
 * and `VAULT_IDENTITY_MISMATCH` when no identity matches a recipient stanza.
 * `sealedTo` names the recipients the caller knows it was sealed to, so the
 * message can say which key would open it.
 */
export async function openSealedBytes(
  sealed: Uint8Array,
  identities: readonly string[],
  sealedTo: readonly string[] = [],
  source = "sealed file",
): Promise<Uint8Array> {
  if (Buffer.from(sealed.subarray(0, AGE_MAGIC.length)).toString("latin1") !== AGE_MAGIC) {
    throw new VaultError("VAULT_INTEGRITY", `${source} is not an age file (bad header)`, {
      category: "input",
      hint: "restore the file from a replica or backup; it was damaged or replaced",
      context: { path: source },
    });
  }
  const { Decrypter } = await loadAge();
  const decrypter = new Decrypter();
  for (const identity of identities) decrypter.addIdentity(identity);
  try {
    return await decrypter.decrypt(sealed, "uint8array");
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    if (/no identity matched/i.test(reason)) {
      const list = sealedTo.length > 0 ? sealedTo.join(", ") : "recipients not recorded";
      throw new VaultError(
        "VAULT_IDENTITY_MISMATCH",
        `${source} cannot be opened with the given identity: it is sealed to ${list}`,
        {
          category: "input",
          hint: "use the identity file of one of those recipients (--identity)",
          context: { path: source },
        },
      );
    }
    throw new VaultError("VAULT_INTEGRITY", `${source} failed its integrity check (truncated or altered)`, {
      category: "input",
      hint: "restore the file from a replica or backup; it was damaged",
      context: { path: source },
    });
  }
}

/** A new X25519 identity and its recipient. */
export async function generateAgeIdentity(): Promise<{ identity: string; recipient: string }> {
  const { generateX25519Identity, identityToRecipient } = await loadAge();
  const identity = await generateX25519Identity();
  return { identity, recipient: await identityToRecipient(identity) };
}

/** The recipient (`age1…`) of an identity (`AGE-SECRET-KEY-1…`). */
export async function recipientOf(identity: string): Promise<string> {
  const { identityToRecipient } = await loadAge();
  return identityToRecipient(identity);
}
