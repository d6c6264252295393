import type { OpenedAppliance } from "./ports.js";

/** A token just minted for the installation, as the cloud client answers it. */
export interface MintedToken {
  readonly token: string;
  readonly expiresAt: string;
}

/**
 * Seals a freshly minted installation token into the vault whose App key is already sealed:
 * under the vault's lock, a new generation carrying the installation id and the token.
 * The one sequence connect, adopt and connect --manifest end with.
 */
export async function sealMintedToken(
  appliance: OpenedAppliance,
  installationId: number,
  token: MintedToken,
): Promise<void> {
  const { commitToken } = await import("@connect-ops/credential-vault");
  const lock = await appliance.vault.lock();
  try {
    const opened = await appliance.vault.open(appliance.identities);
    await commitToken(appliance.vault, lock, opened, appliance.recipients, {
      installationId,
      token: token.token,
      expiresAt: token.expiresAt,
    });
  } finally {
    await lock.release();
  }
}
