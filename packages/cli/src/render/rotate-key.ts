import type { CommandResult } from "../context.js";
import { EXIT } from "../exit-codes.js";
import type { FinishRotationOutcome } from "../lifecycle/rotate-key-finish.js";
import type { RotateKeyOutcome } from "../lifecycle/rotate-key.js";
import type { ReplicateReport } from "../lifecycle/replicate.js";
import type { IncludeOutcome } from "../lifecycle/backup-include.js";

function spreadLines(
  replicate: ReplicateReport | undefined,
  include: IncludeOutcome | undefined,
  pending: readonly string[],
): string[] {
  return [
    replicate === undefined
      ? "  nodes         none given (--inventory): run `connect-ops replicate` to push the new generation"
      : pending.length === 0
        ? `  nodes         every node holds generation ${replicate.generation} (${replicate.nodes.length} verified)`
        : `  nodes         NOT YET on ${pending.join(", ")}: re-run the same command`,
    include === undefined
      ? "  snapshot      not included (backup policy is not include)"
      : `  snapshot      ${include.changed ? "included into" : "already in"} ${include.snapshot} (generation ${include.manifest.generation})`,
  ];
}

/**
 * `rotate-key --new-key`: the new key is active, and a person's step is pending (delete the old key on the settings
 * page), so the exit is 3 like disconnect's pending settings-page step on github.com.
 */
export function renderRotateKey(outcome: RotateKeyOutcome): CommandResult {
  const step = outcome.pendingStep;
  const nodesPending = outcome.pendingNodes.length > 0;
  return {
    exitCode: EXIT.incomplete,
    json: { ...outcome, completed: false },
    human: [
      `Rotating the key of app ${outcome.appId} at ${outcome.cloudUrl}${outcome.resumed ? " (resumed)" : ""}`,
      `  active key    ${outcome.activeFingerprint} (proven: GET /app with its JWT answered this app)`,
      `  retiring key  ${outcome.retiringFingerprint} (still sealed; never used to mint)`,
      `  vault         generation ${outcome.generation}, token minted with the new key expires ${outcome.tokenExpiresAt}`,
      ...spreadLines(outcome.replicate, outcome.include, outcome.pendingNodes),
      nodesPending
        ? "Pending: some nodes do not hold the new key yet. Re-run this command BEFORE deleting the old key."
        : `Pending (a person's step): delete the old key (fingerprint ${step.fingerprint}) at ${step.url}`,
      ...(nodesPending ? [] : [`  ${step.instructions}`]),
    ],
  };
}

/** `rotate-key --finish`: 0 once every retiring key is refused and dropped everywhere; 3 while one is still accepted. */
export function renderFinishRotation(outcome: FinishRotationOutcome): CommandResult {
  return {
    exitCode: outcome.completed ? EXIT.ok : EXIT.incomplete,
    json: outcome,
    human: [
      outcome.completed
        ? `Rotation finished: app ${outcome.appId} uses only key ${outcome.activeFingerprint}`
        : `Rotation not finished: app ${outcome.appId}, active key ${outcome.activeFingerprint}`,
      ...outcome.removed.map(
        (fingerprint) => `  removed       ${fingerprint} (the cloud refused a JWT signed with it: 401)`,
      ),
      ...outcome.stillAccepted.flatMap((step) => [
        `  kept          ${step.fingerprint}: the cloud still accepts it (200); delete it at ${step.url}`,
        `  ${step.instructions}`,
      ]),
      ...(outcome.removed.length > 0 || outcome.stillAccepted.length === 0
        ? spreadLines(outcome.replicate, outcome.include, outcome.pendingNodes)
        : []),
      "  the retired key's fingerprints stay in the fingerprint set: backup scan and verify-cleanup still find it",
    ],
  };
}
