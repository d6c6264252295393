// The --json documents the end-to-end suites read, as zod shapes (read with test-support's
// parseJsonOutput). Loose objects: a shape names what a test relies on and keeps the rest, so an
// exact `toEqual` on a parsed document still sees every field the CLI printed.
import * as z from "zod";

const nodeStatus = z.looseObject({ name: z.string(), status: z.string() });

/** `replicate --json`. */
export const replicateJson = z.looseObject({
  dryRun: z.boolean(),
  generation: z.number(),
  nodes: z.array(
    z.looseObject({
      name: z.string(),
      role: z.string(),
      status: z.string(),
      generationBefore: z.number().nullable(),
      generationAfter: z.number().nullable(),
      durationMs: z.number(),
    }),
  ),
});

/** `failover-check --json`. */
export const failoverJson = z.looseObject({
  ready: z.boolean(),
  replicas: z.array(
    z.looseObject({
      name: z.string(),
      checks: z.array(z.looseObject({ name: z.string(), ok: z.boolean(), detail: z.string() })),
    }),
  ),
});

/** `status --json` (nodes only with a topology). */
export const statusJson = z.looseObject({
  connected: z.boolean(),
  vault: z.looseObject({ generation: z.number(), keyFingerprint: z.string() }).optional(),
  nodes: z
    .array(
      z.looseObject({
        name: z.string(),
        status: z.string(),
        drift: z.string(),
        generation: z.number().nullable(),
        keyFingerprint: z.string().nullable(),
      }),
    )
    .optional(),
});

/** `token --json`. */
export const tokenJson = z.looseObject({ minted: z.boolean(), expiresAt: z.string() });

/** `connect --json`. */
export const connectJson = z.looseObject({ recordId: z.number(), orphansDeleted: z.number().optional() });

/** `disconnect --json`. */
export const disconnectJson = z.looseObject({
  completed: z.boolean(),
  pendingNodes: z.array(z.string()),
  nodes: z.array(nodeStatus.extend({ attempts: z.number() })),
  cloud: z.looseObject({ revocationProof: z.looseObject({ tokenRefused: z.boolean() }).optional() }).nullable(),
  snapshots: z.looseObject({ entries: z.array(z.looseObject({ snapshot: z.string() })) }).nullable(),
  fingerprintSets: z.array(z.string()),
});

const finding = z.looseObject({
  location: z.string(),
  path: z.string(),
  form: z.string(),
  member: z.string().optional(),
});
const gap = z.looseObject({ location: z.string(), path: z.string().optional(), reason: z.string() });

/** The signed audit report (`verify-cleanup --report FILE`, and `report` in its --json). */
export const auditReportJson = z.looseObject({
  verdict: z.string(),
  locations: z.array(z.looseObject({ kind: z.string(), name: z.string() })),
  findings: z.array(finding),
  gaps: z.array(gap),
  fingerprintSets: z.array(z.unknown()),
});

/** `verify-cleanup --json`. */
export const auditJson = z.looseObject({
  verdict: z.string(),
  report: auditReportJson,
  signature: z.string(),
  findings: z.array(finding),
  gaps: z.array(gap),
});

/** A journal file's completion mark (`journal/connect.json`, `journal/disconnect.json`). */
export const journalJson = z.looseObject({ completedAt: z.string().optional() });

/** A vault's meta.json, as far as the suites read it. */
export const vaultMetaJson = z.looseObject({ generation: z.number(), residue: z.unknown() });

/** `token --replicate --json`: the token fields plus the `replicate` report. */
export const tokenReplicateJson = tokenJson.extend({ replicate: replicateJson });
