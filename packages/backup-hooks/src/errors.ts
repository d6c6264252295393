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
  | "BACKUP_MANIFEST_INVALID";

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
