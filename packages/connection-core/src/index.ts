export { abortReason } from "./abort-reason.js";
export { systemClock } from "./clock.js";
export type { Clock } from "./clock.js";
export { errnoCode, ignoreMissing } from "./errno.js";
export { makeDirectories, makeDirectoriesSync } from "./make-directories.js";
export { ConnectOpsError, CoreError, isConnectOpsError } from "./errors.js";
export type { ConnectOpsErrorOptions, CoreErrorCode, ErrorCategory } from "./errors.js";
export { parseInput, parseJsonText } from "./validate.js";
export type { InputIssue } from "./validate.js";
export {
  ageRecipientSchema,
  appCredentialsSchema,
  configSchema,
  connectedAccountSchema,
  connectionRecordSchema,
  installationTokenSchema,
  parseAccountSpec,
} from "./schemas.js";
export type { AppCredentials, Config, ConnectedAccount, ConnectionRecord } from "./schemas.js";
export {
  MAX_TOKEN_HASHES,
  createResidueMatcher,
  deriveResidueFingerprints,
  fingerprintOfKey,
  keyFingerprint,
  pemBodyLines,
  residueDigest,
  residueFingerprintsSchema,
  withIdentityFingerprints,
  withTokenFingerprint,
} from "./fingerprints.js";
export type { DeriveFingerprintsInput, ResidueFingerprints, ResidueMatcher } from "./fingerprints.js";
export type { ContentIndex, ContentMatch } from "./content-index.js";
export {
  CONTENT_SCHEME,
  SECRET_TAG_BITS,
  TOKEN_PIECE_BUDGET,
  contentPiecesSchema,
  pieceDigest,
  privateNumbers,
  tokenSecretPart,
} from "./content-pieces.js";
export type { ContentPieces, ContentSecret, ContentSecretKind } from "./content-pieces.js";
export {
  GRID,
  GUARANTEED_BYTE_RUN,
  GUARANTEED_TEXT_RUN,
  NOT_BASE64,
  PIECE_BYTES,
  PIECE_CHARS,
  PIECE_STRIDE,
  PREFILTER_BITS,
  SEXTET,
  TEXT_STRIDE,
  decodePieceText,
  hashAt,
  pieceHash,
  pieceOffsets,
} from "./content-tag.js";
export { INPUT_CAPS, INPUT_READ_TIMEOUT_MS, boundedInTime, readInputFile, readInputText } from "./input-file.js";
export type { InputKind, ReadInputOptions } from "./input-file.js";
export { parseLicense } from "./license.js";
export type { ParsedLicense } from "./license.js";
export { createCloudClient } from "./cloud/create-cloud-client.js";
export { loadNetworkFetch } from "./cloud/load-network-fetch.js";
export type { NetworkOptions } from "./cloud/proxy-settings.js";
export { redactSecrets } from "./redact-secrets.js";
export { backoffDelayMs, withRetries } from "./retry.js";
export type { RetryDeps, RetryPolicy, RetryVerdict } from "./retry.js";
export type {
  AppAuth,
  AppKeyProbe,
  CloudApp,
  CloudClient,
  CloudClientDeps,
  CloudClientOptions,
  CloudConnectionRecord,
  ConnectionRecordInput,
  ConvertedApp,
  MintedToken,
  RegisteredConnection,
  TokenFormat,
} from "./cloud/cloud-types.js";
export { TOKEN_LIFETIME_MS, parseDuration, tokenNeedsRefresh } from "./token-rules.js";
export { runConnect } from "./connect-flow.js";
export type { ConnectCheckpoint, ConnectJournal, ConnectOutcome, ConnectPorts, SealedAppView } from "./connect-flow.js";
export { removeTrackedTemps, trackTemp, trackedTemps } from "./temp-registry.js";
