import type { CommandResult } from "../context.js";
import { EXIT } from "../exit-codes.js";
import type { AdoptOutcome } from "../lifecycle/adopt.js";

/** The `adopt` command's output: exit code, `--json` document and human lines. */
export function renderAdopt(outcome: AdoptOutcome): CommandResult {
  return {
    exitCode: EXIT.ok,
    json: outcome,
    human: [
      `Adopted: GitHub App ${outcome.appSlug} (id ${outcome.appId}) of ${outcome.owner} at ${outcome.cloudUrl}`,
      `  installation       ${outcome.installationId}`,
      `  token expires      ${outcome.tokenExpiresAt}`,
      "  connection record  none (the App was made outside connect-ops; github.com has no connection records)",
      outcome.sourceRemoved
        ? `  ${outcome.sourceFile} was overwritten and removed`
        : `  warning: the private key is still on disk in ${outcome.sourceFile}: shred it, or re-run with --remove-source next time`,
      "  credentials are sealed in the vault; next: connect-ops replicate --inventory FILE",
    ],
  };
}
