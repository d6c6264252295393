import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { usageError } from "../errors.js";

/** The Ed25519 key pair verify-cleanup signs its reports with (PEM private key, PEM public key). */
export interface AuditSigningKey {
  readonly privateKeyPem: string;
  readonly publicKey: string;
}

/** Reads the state dir's audit signing key pair. Throws `CLI_USAGE` when it is missing. */
export async function readAuditSigningKey(stateDir: string): Promise<AuditSigningKey> {
  const { STATE_FILES } = await import("@connect-ops/credential-vault");
  const { errnoCode } = await import("@connect-ops/connection-core");
  const [privateKeyPem, publicKey] = await Promise.all([
    readFile(join(stateDir, STATE_FILES.auditSigningKey), "utf8"),
    readFile(join(stateDir, STATE_FILES.auditSigningPublicKey), "utf8"),
  ]).catch((error: unknown) => {
    const code = errnoCode(error);
    throw code === "ENOENT"
      ? usageError(
          `the audit signing key is missing from ${stateDir}`,
          "it is created by `connect-ops init`; restore audit-signing.key and audit-signing.pub from the state dir's backup",
          error,
        )
      : usageError(
          `the audit signing key in ${stateDir} cannot be read (${code ?? "error"})`,
          "check the state dir's owner and permissions (0600 files, read by the user running connect-ops)",
          error,
        );
  });
  return { privateKeyPem, publicKey };
}
