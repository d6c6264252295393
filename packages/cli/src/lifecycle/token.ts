import { tokenNeedsRefresh } from "@connect-ops/connection-core";

export { parseDuration } from "@connect-ops/connection-core";
import { CredentialVault, STATE_FILES, ensureSafeDirectory } from "@connect-ops/credential-vault";
import { join } from "node:path";
import type { CloudClientFactory, CrashHook, OpenedAppliance } from "./ports.js";
import { requireConnected } from "./require-connected.js";

/** What `token` touches. The vault is opened only to mint: a cache hit reads meta.json alone. */
export interface TokenPorts {
  readonly stateDir: string;
  readonly openAppliance: () => Promise<OpenedAppliance>;
  readonly cloud: CloudClientFactory;
  readonly crash: CrashHook;
  readonly now: () => number;
}

export interface TokenRequest {
  readonly minTtlMs: number;
  readonly force: boolean;
  /** Ask the cloud whether the sealed token is still accepted; a refused one is discarded and re-minted once. */
  readonly verify: boolean;
}

export interface TokenResult {
  readonly expiresAt: string;
  readonly minted: boolean;
  readonly generation: number;
  readonly discardedRefused: boolean;
}

/**
 * Makes sure the vault holds a token valid for more than `minTtlMs`.
 * A cache hit reads only `meta.json` and checks the sealed file's digest: no
 * decryption, no network. Otherwise, under the vault lock, it re-reads the
 * meta (another process may have minted meanwhile — concurrent runs mint
 * once), opens the bundle, mints, and commits the next generation.
 */
export async function ensureFreshToken(ports: TokenPorts, request: TokenRequest): Promise<TokenResult> {
  // Static, named imports above: this module is itself loaded lazily, and the bundler keeps only
  // these members, so a cache hit never loads zod, age or octokit.
  await ensureSafeDirectory(ports.stateDir);
  const fastVault = new CredentialVault(join(ports.stateDir, STATE_FILES.vault));
  const seen = requireConnected(await fastVault.readVerifiedMeta(), ports.stateDir);
  const now = ports.now();
  const fresh = (expiresAt: string | undefined) => !tokenNeedsRefresh(expiresAt, now, request.minTtlMs);
  if (!request.force && !request.verify && fresh(seen.tokenExpiresAt)) {
    return {
      expiresAt: seen.tokenExpiresAt as string,
      minted: false,
      generation: seen.generation,
      discardedRefused: false,
    };
  }

  const appliance = await ports.openAppliance();
  const { commitToken, cachedTokenOf } = await import("@connect-ops/credential-vault");
  const lock = await appliance.vault.lock();
  try {
    const opened = await appliance.vault.open(appliance.identities);
    const client = await ports.cloud(opened.bundle.cloudUrl);
    const cached = cachedTokenOf(opened.bundle);
    let discardedRefused = false;
    if (cached !== undefined && fresh(cached.expiresAt)) {
      // Someone else minted after we looked (a concurrent run): use theirs.
      const concurrentMint = opened.meta.generation !== seen.generation;
      if (request.verify && (await client.checkToken(cached.value)) === "refused") discardedRefused = true;
      else if (!request.force || concurrentMint) {
        return {
          expiresAt: cached.expiresAt,
          minted: false,
          generation: opened.meta.generation,
          discardedRefused: false,
        };
      }
    }
    const installationId = requireConnected(opened.bundle.installationId, appliance.stateDir);
    const minted = await client.mintInstallationToken(
      { appId: opened.bundle.app.appId, privateKeyPem: opened.bundle.app.privateKeyPem, slug: opened.bundle.app.slug },
      installationId,
    );
    ports.crash("token-minted");
    const meta = await commitToken(appliance.vault, lock, opened, appliance.recipients, {
      installationId,
      token: minted.token,
      expiresAt: minted.expiresAt,
    });
    return { expiresAt: minted.expiresAt, minted: true, generation: meta.generation, discardedRefused };
  } finally {
    await lock.release();
  }
}
