import type { CommandResult } from "../context.js";
import { EXIT } from "../exit-codes.js";
import type { EnrollOutcome } from "../lifecycle/node-enroll.js";

/** The `node enroll` command's output (shared with the demo); `flag source` is how the nodes were named. */
export function runNodeEnrollOutput(outcome: EnrollOutcome, flag: string, source: string): CommandResult {
  return {
    exitCode: EXIT.ok,
    json: outcome,
    human: [
      outcome.identityWritten
        ? `Enrolled ${outcome.node}: its own age identity is on the node (mode 0600), recipient ${outcome.recipient}`
        : `${outcome.node} is enrolled already and holds its identity (recipient ${outcome.recipient}); nothing written to the node`,
      `  identity file SHA-256 ${outcome.identitySha256} (recorded in the state dir; the identity itself is only on the node)`,
      outcome.generation === null
        ? "  nothing is sealed yet: `connect-ops connect` will seal to this node's recipient too"
        : outcome.resealed
          ? `  the vault was sealed again to include it (generation ${outcome.generation})`
          : `  the vault (generation ${outcome.generation}) is sealed to it already`,
      `  next: connect-ops replicate ${flag} ${source}, then connect-ops failover-check ${flag} ${source}`,
    ],
  };
}
