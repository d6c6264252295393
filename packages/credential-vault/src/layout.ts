/** File names inside a vault directory, on the primary and on every node. */
export const VAULT_FILES = {
  sealed: "credentials.age",
  meta: "meta.json",
} as const;

/** What lives in a state dir (docs/vault.md). */
export const STATE_FILES = {
  identity: "age-identity.txt",
  /** `rekey --new-identity`: the new identity until every copy holds the new sealing (then it becomes `identity`). */
  nextIdentity: "age-identity.next.txt",
  /** `rekey --new-identity`: the old identity, hard-linked here when the new one is promoted, until it is shredded. */
  oldIdentity: "age-identity.old.txt",
  auditSigningKey: "audit-signing.key",
  auditSigningPublicKey: "audit-signing.pub",
  config: "config.json",
  vault: "vault",
  journal: "journal",
  /** Nodes enrolled with their own age identity: recipients and identity-file hashes, no secret. */
  enrolledNodes: "enrolled-nodes.json",
  /** Every sealed copy this tool wrote (vault generations, snapshot copies): SHA-256 and recipients, no secret. */
  sealedCopies: "sealed-copies.json",
  /** The backup escrow identity `backup include --escrow` used: its path on this host and its recipient. */
  escrow: "backup-escrow.json",
  /** The signed record of the identities `shred` destroyed (and `.sig` beside it). */
  shredAttestation: "shred-attestation.json",
} as const;

/**
 * The state dir's ledgers: rewritten (read, append, atomic replace) only under
 * the vault lock, so taking the lock also sweeps the temps a killed write of
 * them left (`CredentialVault.lock`).
 */
export const STATE_LEDGERS = [STATE_FILES.sealedCopies, STATE_FILES.enrolledNodes, STATE_FILES.escrow] as const;
