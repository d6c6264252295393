import { join } from "node:path";

/** A backup escrow identity this state dir sealed snapshot copies to: where it lives on this host and its recipient. */
export interface EscrowEntry {
  readonly path: string;
  readonly recipient: string;
}

interface EscrowDocument {
  readonly format: "connect-ops/backup-escrow@1";
  readonly escrows: readonly EscrowEntry[];
}

/** The escrows recorded in `<state>/backup-escrow.json` (no secret: paths and recipients); `[]` when none. */
export async function readEscrows(stateDir: string): Promise<EscrowEntry[]> {
  const { STATE_FILES } = await import("@connect-ops/credential-vault");
  const { ignoreMissing, parseInput, parseJsonText, readInputText } = await import("@connect-ops/connection-core");
  const { stat } = await import("node:fs/promises");
  const path = join(stateDir, STATE_FILES.escrow);
  if ((await ignoreMissing(stat(path))) === undefined) return [];
  const z = await import("zod");
  const schema = z
    .object({
      format: z.literal("connect-ops/backup-escrow@1"),
      escrows: z.array(
        z.object({ path: z.string().min(1).max(4096), recipient: z.string().startsWith("age1") }).strict(),
      ),
    })
    .strict();
  const text = await readInputText(path, { kind: "config" });
  return parseInput(schema, parseJsonText(text, path), path, "restore the file from the state dir's backup").escrows;
}

/**
 * Records `entry` once (atomic, durable, 0600): `shred` destroys each recorded escrow identity found on this host.
 * The caller holds the vault lock (no update is lost, and taking it swept the temp a killed earlier write left).
 */
export async function recordEscrow(stateDir: string, entry: EscrowEntry): Promise<void> {
  const escrows = await readEscrows(stateDir);
  if (escrows.some((known) => known.path === entry.path && known.recipient === entry.recipient)) return;
  const { atomicWriteFile, STATE_FILES } = await import("@connect-ops/credential-vault");
  const document: EscrowDocument = { format: "connect-ops/backup-escrow@1", escrows: [...escrows, entry] };
  await atomicWriteFile(join(stateDir, STATE_FILES.escrow), Buffer.from(`${JSON.stringify(document, null, 2)}\n`));
}
