import type { CloudClient } from "@connect-ops/connection-core";
import type { CredentialVault } from "@connect-ops/credential-vault";

/** A cloud client for a base URL (a connection names its cloud; the audit asks the one it recorded). */
export type CloudClientFactory = (baseUrl: string) => Promise<CloudClient>;

/**
 * Called at each named checkpoint of a journaled lifecycle. Production passes a no-op;
 * the crash suites pass one that kills the process there (like a power cut), and
 * lifecycle tests one that throws.
 */
export type CrashHook = (checkpoint: string) => void;

/** A crash hook that never fires. */
export const noCrash: CrashHook = () => undefined;

/** The primary's vault opened for writing: what minting, restoring or replicating needs beyond meta.json. */
export interface OpenedAppliance {
  readonly stateDir: string;
  readonly vault: CredentialVault;
  /** The age identities that open the vault. */
  readonly identities: readonly string[];
  /** The appliance's own recipient first, then recovery recipients: what a commit seals to. */
  readonly recipients: readonly string[];
  /** `<state>/journal`: the journaled lifecycles' files. */
  readonly journalDir: string;
}
