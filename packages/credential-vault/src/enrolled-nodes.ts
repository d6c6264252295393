import {
  ageRecipientSchema,
  ignoreMissing,
  parseInput,
  parseJsonText,
  readInputText,
} from "@connect-ops/connection-core";
import { stat } from "node:fs/promises";
import { join } from "node:path";
import * as z from "zod";
import { atomicWriteFile } from "./atomic-write.js";
import { STATE_FILES } from "./layout.js";

/**
 * One node enrolled with its own age identity (`connect-ops node enroll`).
 * Holds no secret: the identity itself lives only on the node; the state dir
 * keeps its recipient (every seal includes it) and the SHA-256 of the node's
 * identity file (failover-check compares it with `sha256sum` on the node).
 */
export const enrolledNodeSchema = z
  .object({
    name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/),
    recipient: ageRecipientSchema,
    identitySha256: z.string().regex(/^[0-9a-f]{64}$/),
    enrolledAt: z.iso.datetime({ offset: true }),
  })
  .strict();
export type EnrolledNode = z.infer<typeof enrolledNodeSchema>;

const enrolledNodesSchema = z
  .object({ format: z.literal("connect-ops/enrolled-nodes@1"), nodes: z.array(enrolledNodeSchema) })
  .strict();

/**
 * The enrolled nodes of a state dir, in enrollment order; `[]` when none is.
 * Throws `CORE_INVALID_INPUT` naming the field for a damaged file, and the
 * input reader's errors for one that is not a regular file or too large.
 */
export async function readEnrolledNodes(stateDir: string): Promise<EnrolledNode[]> {
  const path = join(stateDir, STATE_FILES.enrolledNodes);
  if ((await ignoreMissing(stat(path))) === undefined) return [];
  const text = await readInputText(path, { kind: "config" });
  const parsed = parseInput(
    enrolledNodesSchema,
    parseJsonText(text, path),
    path,
    "restore the file from a backup, or enroll the nodes again (`connect-ops node enroll`)",
  );
  return parsed.nodes;
}

/**
 * Records `nodes` (replacing earlier enrollments of the same names) with an
 * atomic, durable write (0600). The caller holds the vault lock (no update is
 * lost, and taking it swept the temp a killed earlier write left).
 */
export async function recordEnrolledNodes(stateDir: string, nodes: readonly EnrolledNode[]): Promise<EnrolledNode[]> {
  const current = await readEnrolledNodes(stateDir);
  const names = new Set(nodes.map((node) => node.name));
  const next = [...current.filter((node) => !names.has(node.name)), ...nodes];
  const document = { format: "connect-ops/enrolled-nodes@1", nodes: next };
  await atomicWriteFile(
    join(stateDir, STATE_FILES.enrolledNodes),
    Buffer.from(`${JSON.stringify(document, null, 2)}\n`),
  );
  return next;
}
