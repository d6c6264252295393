import type { CommandResult } from "../context.js";
import { EXIT } from "../exit-codes.js";
import type { ShredOutcome } from "../lifecycle/shred.js";

/** The `shred` command's output (and the shred part of `disconnect --shred`). */
export function shredLines(outcome: ShredOutcome): string[] {
  const { attestation } = outcome;
  return [
    `Shredded ${attestation.destroyed.length} identit${attestation.destroyed.length === 1 ? "y" : "ies"}; attestation ${outcome.attestationFile} (signed: ${outcome.signatureFile})`,
    ...attestation.destroyed.map(
      (target) => `  destroyed  ${target.role} ${target.recipient} at ${target.where} (${target.destroyedAt ?? ""})`,
    ),
    ...attestation.notDestroyed.map(
      (target) =>
        `  NOT        ${target.role} ${target.recipient} at ${target.where}: ${target.reason ?? target.state}`,
    ),
    ...(outcome.complete
      ? ["  then: connect-ops verify-cleanup --data-dir DIR [--unreachable-copies FILE]"]
      : [
          "  INCOMPLETE: a node's identity is not destroyed yet; re-run `connect-ops shred --inventory FILE` once it is reachable",
        ]),
  ];
}

export function renderShred(outcome: ShredOutcome): CommandResult {
  return { exitCode: outcome.complete ? EXIT.ok : EXIT.incomplete, json: outcome, human: shredLines(outcome) };
}
