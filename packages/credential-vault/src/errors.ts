import { ConnectOpsError, type ConnectOpsErrorOptions } from "@connect-ops/connection-core";

export type VaultErrorCode =
  | "VAULT_STATE_DIR_UNSAFE"
  | "VAULT_NOT_INITIALISED"
  | "VAULT_ALREADY_INITIALISED"
  | "VAULT_EMPTY"
  | "VAULT_IDENTITY_INVALID"
  | "VAULT_IDENTITY_MISMATCH"
  | "VAULT_INTEGRITY"
  | "VAULT_LOCKED"
  | "VAULT_GENERATION_CONFLICT"
  | "VAULT_WRITE_FAILED";

/** Errors of the sealed credential store. Messages never contain key or token material. */
export class VaultError extends ConnectOpsError<VaultErrorCode> {
  constructor(code: VaultErrorCode, message: string, options: ConnectOpsErrorOptions = {}) {
    super(code, message, options);
    this.name = "VaultError";
  }
}
