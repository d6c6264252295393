import { createHash } from "node:crypto";
import type { VaultMeta } from "@connect-ops/credential-vault";
import { createReplicationPayload, type ReplicationPayload } from "../payload.js";

// Real recipients (made by age-keygen; their identities were thrown away): the schema checks the bech32 checksum.
export const TEST_RECIPIENT = "age10q7udv6v7hsx09e7azqzd0vvkz43wjr8y7yvfqs09yxauk6lc5aq5ss6c6";
export const OTHER_RECIPIENT = "age1ldujh5ppdp77qvu9ryrdecwk4cxfmg36jzq28xwamx6j3t072fks96kmq2";

/** A valid payload: `sealed` bytes (default: every byte value, to catch text-mode bugs) and a meta describing them. */
export function makePayload(
  generation: number,
  sealed?: Uint8Array,
  extra: Partial<VaultMeta> = {},
): ReplicationPayload {
  const bytes = sealed ?? Uint8Array.from({ length: 3000 }, (_, index) => (index * 7 + generation) % 256);
  const meta: VaultMeta = {
    format: "connect-ops/vault-meta@1",
    generation,
    sealedSha256: createHash("sha256").update(bytes).digest("hex"),
    recipients: [TEST_RECIPIENT],
    updatedAt: "2026-11-01T10:00:00.000Z",
    keyFingerprint: "SHA256:testkeyfingerprint",
    tokenExpiresAt: "2026-11-01T11:00:00.000Z",
    ...extra,
  };
  return createReplicationPayload(bytes, Buffer.from(`${JSON.stringify(meta, null, 2)}\n`));
}

/** A payload whose meta does not describe its sealed bytes, to plant an interrupted write on a node. */
export function makeInconsistentPayload(generation: number): ReplicationPayload {
  const good = makePayload(generation);
  const other = makePayload(generation, Buffer.from("other sealed bytes"));
  return { ...good, sealed: other.sealed, sealedSha256: other.sealedSha256 };
}
