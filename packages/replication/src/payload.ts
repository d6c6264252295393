import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { isConnectOpsError, parseJsonText } from "@connect-ops/connection-core";
import { VAULT_FILES, vaultMetaSchema, type VaultMeta } from "@connect-ops/credential-vault";
import { ReplicationError } from "./errors.js";

/** The pair every node must hold: sealed credentials and their metadata, as bytes. */
export interface ReplicationPayload {
  readonly sealed: Uint8Array;
  readonly metaBytes: Uint8Array;
  readonly meta: VaultMeta;
  readonly sealedSha256: string;
  readonly metaSha256: string;
}

export function sha256Hex(data: Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

/** Parses meta.json bytes; undefined when they are not a valid vault meta. */
export function parseVaultMetaBytes(bytes: Uint8Array, source: string): VaultMeta | undefined {
  try {
    const result = vaultMetaSchema.safeParse(parseJsonText(Buffer.from(bytes).toString("utf8"), source));
    return result.success ? result.data : undefined;
  } catch (error) {
    // Not JSON is "not a valid vault meta", as documented; anything but our typed parse error is a bug and is thrown.
    if (isConnectOpsError(error)) return undefined;
    throw error;
  }
}

/**
 * Builds the payload from the two files' bytes. Throws `REPL_PAYLOAD_INVALID`
 * when meta.json is not a vault meta or does not describe these sealed bytes.
 */
export function createReplicationPayload(sealed: Uint8Array, metaBytes: Uint8Array): ReplicationPayload {
  const meta = parseVaultMetaBytes(metaBytes, VAULT_FILES.meta);
  const sealedSha256 = sha256Hex(sealed);
  if (meta === undefined || meta.sealedSha256 !== sealedSha256) {
    throw new ReplicationError(
      "REPL_PAYLOAD_INVALID",
      meta === undefined
        ? `${VAULT_FILES.meta} of the primary vault is not a valid vault meta`
        : `${VAULT_FILES.meta} of the primary vault does not describe ${VAULT_FILES.sealed} (sealedSha256 differs)`,
      { category: "input", hint: "run `connect-ops status` on the primary; re-seal the vault before replicating" },
    );
  }
  return { sealed, metaBytes, meta, sealedSha256, metaSha256: sha256Hex(metaBytes) };
}

/** Reads the payload from a vault directory (the primary's). */
export async function readVaultPayload(vaultDir: string): Promise<ReplicationPayload> {
  const [sealed, metaBytes] = await Promise.all([
    readFile(join(vaultDir, VAULT_FILES.sealed)),
    readFile(join(vaultDir, VAULT_FILES.meta)),
  ]).catch((error: unknown) => {
    throw new ReplicationError("REPL_PAYLOAD_INVALID", `cannot read the vault in ${vaultDir}`, {
      category: "input",
      hint: "run `connect-ops connect` first, or pass the right --state-dir",
      context: { path: vaultDir },
      cause: error,
    });
  });
  return createReplicationPayload(sealed, metaBytes);
}
