export { BackupError } from "./errors.js";
export type { BackupErrorCode } from "./errors.js";
export { DEFAULT_LIMITS, DEFAULT_MAX_DEPTH } from "./scan-types.js";
export type {
  Finding,
  FindingEncoding,
  FindingForm,
  AgeAudit,
  Gap,
  KnownSealedCopy,
  LayeredFile,
  ScanLimits,
  ScanOptions,
  ScanProgress,
  ThreadsReport,
  ScanResult,
} from "./scan-types.js";
export { scanBuffers, scanPath } from "./scan-path.js";
export type { InMemoryFile } from "./scan-path.js";
export { CONNECT_DIR, REDACTION_FILE, redactSnapshot } from "./redact-snapshot.js";
export type { RedactOptions, RedactionChange, RedactionReport } from "./redact-snapshot.js";
export { SNAPSHOT_ID, listSnapshots, openSnapshot, sharedHardLinks } from "./snapshot-model.js";
export type { DataDirInfo, SnapshotInfo, SnapshotLayout } from "./snapshot-model.js";
export { includeCredentials, includedManifestSchema, readIncludedCredentials } from "./include-credentials.js";
export type { IncludeInput, IncludeResult, IncludedManifest } from "./include-credentials.js";
export { applyBackupPolicy } from "./backup-policy.js";
export type { BackupPolicyInput, BackupPolicyResult } from "./backup-policy.js";
export { systemTreeRefusal } from "./data-dir-guard.js";
export { backupConfigCandidates, backupSettings, parseBackupConfig } from "./backup-config.js";
export type { BackupConfig, BackupSettings } from "./backup-config.js";
export { DETECTION_METHOD, KNOWN_LIMITS } from "./detection-method.js";
