export { generateAgeIdentity, openSealedBytes, recipientOf, sealBytes } from "./age-seal.js";
export {
  TEMP_NAME_GLOB,
  atomicWriteFile,
  isTempName,
  newTempId,
  removeStaleTemps,
  syncDirectory,
  tempNameFor,
} from "./atomic-write.js";
export type { AtomicWriteOptions, StepHook, WriteStep } from "./atomic-write.js";
export { cachedTokenOf, credentialsBundleSchema, tokenCacheKey } from "./bundle.js";
export type { CredentialsBundle } from "./bundle.js";
export { VaultError } from "./errors.js";
export type { VaultErrorCode } from "./errors.js";
export { acquireLock, defaultLockDeps } from "./lock.js";
export type { HeldLock, LockDeps, LockOptions } from "./lock.js";
export { STATE_FILES, VAULT_FILES } from "./layout.js";
export { vaultMetaSchema } from "./meta.js";
export type { VaultMeta } from "./meta.js";
export { ensureSafeDirectory } from "./safe-dir.js";
export { sha256Hex } from "./sha256.js";
export { formatIdentityFile, initStateDir, loadStateDir, readIdentityFile } from "./state-dir.js";
export type { InitResult, StateDir } from "./state-dir.js";
export { enrolledNodeSchema, readEnrolledNodes, recordEnrolledNodes } from "./enrolled-nodes.js";
export type { EnrolledNode } from "./enrolled-nodes.js";
export { isShreddingName, shreddingName, shredFile, wipeInPlace, type ShredSteps } from "./shred-file.js";
export { CredentialVault } from "./vault.js";
export type { CommitInput, CommitStep, RemovedFile, VaultDeps } from "./vault.js";
export { commitToken, resealToRecipients, sealAppKey } from "./credential-store.js";
export type { SealAppInput, SealTokenInput } from "./credential-store.js";
export { dropRetiringKeys, residueSetsOf, sealRotatedKey } from "./key-rotation.js";
export type { RotateKeyInput } from "./key-rotation.js";
export { readSealedCopies, recordSealedCopy, sealedCopyEntrySchema } from "./sealed-copy-ledger.js";
export type { SealedCopyEntry } from "./sealed-copy-ledger.js";
