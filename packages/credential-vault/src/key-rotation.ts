import { deriveResidueFingerprints, keyFingerprint, type ResidueFingerprints } from "@connect-ops/connection-core";
import type { CredentialsBundle } from "./bundle.js";
import { carriedMeta } from "./credential-store.js";
import { VaultError } from "./errors.js";
import type { LockOptions } from "./lock.js";
import type { VaultMeta } from "./meta.js";
import type { CredentialVault } from "./vault.js";

/** Every fingerprint set the vault's meta holds: the active key's, then those of the keys rotated out. */
export function residueSetsOf(meta: VaultMeta | undefined): ResidueFingerprints[] {
  if (meta === undefined) return [];
  return [...(meta.residue === undefined ? [] : [meta.residue]), ...(meta.retiredResidue ?? [])];
}

export interface RotateKeyInput {
  /** The new key, already proven to authenticate as this App. */
  readonly privateKeyPem: string;
  /** The generation the caller proved the key against (compare-and-swap). */
  readonly expectedGeneration: number;
  /** 16 random bytes for the new key's fingerprint set. */
  readonly saltBytes: Uint8Array;
}

/**
 * Seals a new generation whose active key is `privateKeyPem` and whose previous active key is retiring (kept sealed,
 * never used to mint). The previous key's fingerprint set moves to `retiredResidue`; the new key gets its own.
 * Takes the lock. Throws `VAULT_GENERATION_CONFLICT` when the vault moved since `expectedGeneration`.
 */
export async function sealRotatedKey(
  vault: CredentialVault,
  identities: readonly string[],
  recipients: readonly string[],
  input: RotateKeyInput,
  lockOptions: LockOptions = {},
): Promise<VaultMeta> {
  await using lock = await vault.lock(lockOptions);
  const opened = await vault.open(identities);
  if (opened.meta.generation !== input.expectedGeneration) {
    throw new VaultError(
      "VAULT_GENERATION_CONFLICT",
      `the vault changed while this command ran (generation ${opened.meta.generation}, expected ${input.expectedGeneration})`,
      {
        category: "incomplete",
        hint: "run the command again; it will start from the new state",
        context: { path: vault.dir },
      },
    );
  }
  const old = opened.bundle.app;
  const oldFingerprint = keyFingerprint(old.privateKeyPem);
  const bundle: CredentialsBundle = {
    ...opened.bundle,
    app: { ...old, privateKeyPem: input.privateKeyPem },
    retiringKeys: [
      ...(opened.bundle.retiringKeys ?? []).filter((key) => key.fingerprint !== oldFingerprint),
      { privateKeyPem: old.privateKeyPem, fingerprint: oldFingerprint },
    ],
  };
  const previous = opened.meta.residue;
  return await vault.commit(lock, {
    bundle,
    recipients,
    expectedGeneration: opened.meta.generation,
    metaFields: {
      ...carriedMeta(opened.meta),
      keyFingerprint: keyFingerprint(input.privateKeyPem),
      retiringKeyFingerprints: (bundle.retiringKeys ?? []).map((key) => key.fingerprint),
      retiredResidue: [...(opened.meta.retiredResidue ?? []), ...(previous === undefined ? [] : [previous])],
      residue: deriveResidueFingerprints({
        appId: old.appId,
        privateKeyPem: input.privateKeyPem,
        tokens: [],
        saltBytes: input.saltBytes,
      }),
    },
  });
}

/**
 * Drops the retiring keys named in `refused` (the cloud refused a JWT signed with each) from the sealed bundle, as a
 * new generation. Their fingerprint sets stay in `retiredResidue`. Returns the meta unchanged when none of them is
 * sealed any more (a re-run after the drop committed). Takes the lock.
 */
export async function dropRetiringKeys(
  vault: CredentialVault,
  identities: readonly string[],
  recipients: readonly string[],
  refused: readonly string[],
): Promise<{ meta: VaultMeta; dropped: boolean }> {
  await using lock = await vault.lock();
  const opened = await vault.open(identities);
  const retiring = opened.bundle.retiringKeys ?? [];
  const kept = retiring.filter((key) => !refused.includes(key.fingerprint));
  if (kept.length === retiring.length) return { meta: opened.meta, dropped: false };
  const { retiringKeys: _retiring, ...rest } = opened.bundle;
  const { retiringKeyFingerprints: _fingerprints, ...carried } = carriedMeta(opened.meta);
  const meta = await vault.commit(lock, {
    bundle: kept.length === 0 ? rest : { ...rest, retiringKeys: kept },
    recipients,
    expectedGeneration: opened.meta.generation,
    metaFields: {
      ...carried,
      ...(kept.length === 0 ? {} : { retiringKeyFingerprints: kept.map((key) => key.fingerprint) }),
    },
  });
  return { meta, dropped: true };
}
