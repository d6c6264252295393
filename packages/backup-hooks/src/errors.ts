import { ConnectOpsError, type ConnectOpsErrorOptions } from "@connect-ops/connection-core";

export type BackupErrorCode =
  | "BACKUP_PATH_ESCAPE"
  | "BACKUP_SNAPSHOT_INCOMPLETE"
  | "BACKUP_IN_PROGRESS"
  | "BACKUP_NOT_A_SNAPSHOT"
  | "BACKUP_NO_CURRENT"
  | "BACKUP_NOT_FOUND"
  | "BACKUP_NOT_A_DATA_DIR"
  | "BACKUP_UNSUPPORTED_ARCHIVE"
  | "BACKUP_MANIFEST_INVALID"
  | "BACKUP_CONFIG_INVALID";

/**
 * Errors of backup-hooks. Bad paths and snapshot state are category `input`
 * (the operator can fix them); context carries paths and member names only,
 * never file content.
 */
export class BackupError extends ConnectOpsError<BackupErrorCode> {
  constructor(code: BackupErrorCode, message: string, options: ConnectOpsErrorOptions = {}) {
    super(code, message, options);
    this.name = "BackupError";
  }
}

const DAMAGED_HINT = "the archive is damaged; restore it from another snapshot or remove it, then run redact again";

/** A layer redact cannot rebuild (damaged, over a limit, no rewriter): the file is listed as failed, still residue. */
export function unsupportedArchive(message: string, options: { hint?: string; cause?: unknown } = {}): BackupError {
  return new BackupError("BACKUP_UNSUPPORTED_ARCHIVE", message, {
    category: "input",
    hint: options.hint ?? DAMAGED_HINT,
    cause: options.cause,
  });
}
