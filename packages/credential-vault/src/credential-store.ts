import {
  deriveResidueFingerprints,
  keyFingerprint,
  withTokenFingerprint,
  type ConnectionRecord,
} from "@connect-ops/connection-core";
import { tokenCacheKey, type CredentialsBundle } from "./bundle.js";
import type { LockOptions } from "./lock.js";
import type { VaultMeta } from "./meta.js";
import type { CredentialVault } from "./vault.js";

export interface SealAppInput {
  readonly cloudUrl: string;
  readonly app: CredentialsBundle["app"];
  readonly recordId?: number;
  readonly record?: ConnectionRecord;
  /** 16 random bytes for the residue fingerprints' salt (injected for exact tests). */
  readonly saltBytes: Uint8Array;
}

/**
 * Seals a newly created app's key as a new generation, with its fingerprint
 * and the residue fingerprints derived from it. Replaces whatever the vault
 * held (connect only calls this when the vault holds no usable app).
 */
export async function sealAppKey(
  vault: CredentialVault,
  recipients: readonly string[],
  input: SealAppInput,
  lockOptions: LockOptions = {},
): Promise<VaultMeta> {
  await using lock = await vault.lock(lockOptions);
  const current = await vault.readMeta();
  const bundle: CredentialsBundle = { format: "connect-ops/credentials@1", cloudUrl: input.cloudUrl, app: input.app };
  return await vault.commit(lock, {
    bundle,
    recipients,
    expectedGeneration: current?.generation ?? null,
    metaFields: {
      cloudUrl: input.cloudUrl,
      appId: input.app.appId,
      appSlug: input.app.slug,
      keyFingerprint: keyFingerprint(input.app.privateKeyPem),
      ...(input.recordId === undefined ? {} : { recordId: input.recordId }),
      ...(input.record === undefined ? {} : { record: input.record }),
      residue: deriveResidueFingerprints({
        appId: input.app.appId,
        privateKeyPem: input.app.privateKeyPem,
        tokens: [],
        saltBytes: input.saltBytes,
      }),
    },
  });
}

/** Carries the secret-free fields of `meta` into the next generation. */
export function carriedMeta(
  meta: VaultMeta,
): Omit<VaultMeta, "format" | "generation" | "sealedSha256" | "recipients" | "updatedAt"> {
  const {
    format: _format,
    generation: _generation,
    sealedSha256: _digest,
    recipients: _recipients,
    updatedAt: _updated,
    ...rest
  } = meta;
  return rest;
}

export interface SealTokenInput {
  readonly installationId: number;
  readonly token: string;
  readonly expiresAt: string;
}

/**
 * Seals a freshly minted installation token next to the key (the caller holds
 * the lock and passes the bundle it opened under it), recording its expiry
 * and its residue fingerprint. Compare-and-swap on `expectedGeneration`.
 */
export async function commitToken(
  vault: CredentialVault,
  lock: AsyncDisposable & { release(): Promise<void> },
  opened: { meta: VaultMeta; bundle: CredentialsBundle },
  recipients: readonly string[],
  input: SealTokenInput,
): Promise<VaultMeta> {
  const bundle: CredentialsBundle = {
    ...opened.bundle,
    installationId: input.installationId,
    token: {
      value: input.token,
      expiresAt: input.expiresAt,
      cacheKey: tokenCacheKey(opened.bundle.cloudUrl, opened.bundle.app.appId, input.installationId),
    },
  };
  const residue =
    opened.meta.residue === undefined ? undefined : withTokenFingerprint(opened.meta.residue, input.token);
  return await vault.commit(lock, {
    bundle,
    recipients,
    expectedGeneration: opened.meta.generation,
    metaFields: {
      ...carriedMeta(opened.meta),
      installationId: input.installationId,
      tokenExpiresAt: input.expiresAt,
      ...(residue === undefined ? {} : { residue }),
    },
  });
}

/**
 * Seals the vault's bundle again, to `recipients`, as a new generation (a node
 * was enrolled, so the copies must open with its identity too). Takes the lock,
 * opens with `identities`; returns the meta unchanged when the vault already
 * lists exactly these recipients. Throws the vault's errors (`VAULT_EMPTY`, …).
 */
export async function resealToRecipients(
  vault: CredentialVault,
  identities: readonly string[],
  recipients: readonly string[],
): Promise<{ meta: VaultMeta; resealed: boolean }> {
  await using lock = await vault.lock();
  const opened = await vault.open(identities);
  const current = opened.meta.recipients;
  if (current.length === recipients.length && recipients.every((recipient) => current.includes(recipient))) {
    return { meta: opened.meta, resealed: false };
  }
  const meta = await vault.commit(lock, {
    bundle: opened.bundle,
    recipients,
    expectedGeneration: opened.meta.generation,
    metaFields: carriedMeta(opened.meta),
  });
  return { meta, resealed: true };
}
