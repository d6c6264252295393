import type { ResidueMatcher } from "@connect-ops/connection-core";
import { includeCredentials, type IncludeInput, type IncludeResult } from "./include-credentials.js";
import { redactSnapshot, type RedactionReport } from "./redact-snapshot.js";
import type { ScanLimits } from "./scan-types.js";
import { openSnapshot, type SnapshotInfo } from "./snapshot-model.js";
import { join } from "node:path";

interface PolicyBase {
  readonly dataDir: string;
  /** Process an incomplete snapshot or during a running backup anyway. */
  readonly force?: boolean;
  readonly now?: () => Date;
}

export type BackupPolicyInput =
  | (PolicyBase & { readonly policy: "include"; readonly include: Omit<IncludeInput, "now"> })
  | (PolicyBase & {
      readonly policy: "redact";
      readonly matcher: ResidueMatcher;
      readonly dryRun?: boolean;
      readonly maxDepth?: number;
      readonly limits?: Partial<ScanLimits>;
    });

export type BackupPolicyResult =
  | { readonly policy: "include"; readonly snapshot: SnapshotInfo; readonly include: IncludeResult }
  | { readonly policy: "redact"; readonly snapshot: SnapshotInfo; readonly redaction: RedactionReport };

/**
 * The post-backup hook (`ghe-backup && connect-ops backup hook …`): resolves
 * `current`, refuses an incomplete snapshot or a running backup (typed
 * errors from openSnapshot), then includes the sealed credentials or redacts.
 */
export async function applyBackupPolicy(input: BackupPolicyInput): Promise<BackupPolicyResult> {
  const snapshot = await openSnapshot(join(input.dataDir, "current"), { force: input.force });
  if (input.policy === "include") {
    return {
      policy: "include",
      snapshot,
      include: await includeCredentials(snapshot.path, { ...input.include, now: input.now }),
    };
  }
  const redaction = await redactSnapshot(snapshot.path, {
    matcher: input.matcher,
    dryRun: input.dryRun,
    maxDepth: input.maxDepth,
    limits: input.limits,
    now: input.now,
  });
  return { policy: "redact", snapshot, redaction };
}
