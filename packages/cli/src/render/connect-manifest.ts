import type { CommandResult } from "../context.js";
import { EXIT } from "../exit-codes.js";
import { connectVerb } from "./connect.js";
import type { ManifestConnectOutcome } from "../lifecycle/connect-manifest.js";

/** `connect --manifest`'s output: exit code, `--json` document and human lines (no secret is in the outcome). */
export function renderManifestConnect(outcome: ManifestConnectOutcome): CommandResult {
  const verb = connectVerb(outcome);
  return {
    exitCode: EXIT.ok,
    json: outcome,
    human: [
      `${verb}: GitHub App ${outcome.appSlug} (id ${outcome.appId}) of ${outcome.owner} at ${outcome.cloudUrl}`,
      `  installation       ${outcome.installationId}`,
      `  token expires      ${outcome.tokenExpiresAt}`,
      "  connection record  none (the App-manifest flow makes an App, not a Connect record)",
      "  credentials are sealed in the vault; next: connect-ops replicate --inventory FILE",
    ],
  };
}
