import type { CommandResult } from "../context.js";
import { EXIT } from "../exit-codes.js";
import type { ConnectOutcome } from "@connect-ops/connection-core";

/** How a connect run ended, as its first human line says it (also `connect --manifest`'s). */
export function connectVerb(outcome: { readonly alreadyConnected: boolean; readonly resumed: boolean }): string {
  if (outcome.alreadyConnected) return "Already connected";
  return outcome.resumed ? "Connected (resumed an interrupted run)" : "Connected";
}

/** The `connect` command's output: exit code, `--json` document and human lines (shared with the demo). */
export function renderConnect(
  outcome: ConnectOutcome,
  options: { readonly hostname: string; readonly account: string; readonly cloudUrl: string },
): CommandResult {
  const verb = connectVerb(outcome);
  return {
    exitCode: EXIT.ok,
    json: outcome,
    human: [
      `${verb}: ${options.hostname} → ${options.account} at ${options.cloudUrl}`,
      `  connection record  ${outcome.recordId}`,
      `  GitHub App         ${outcome.appSlug} (id ${outcome.appId}), installation ${outcome.installationId}`,
      ...(outcome.tokenExpiresAt ? [`  token expires      ${outcome.tokenExpiresAt}`] : []),
      ...(outcome.orphansDeleted > 0
        ? [`  deleted ${outcome.orphansDeleted} orphaned app(s) whose key was lost in an interrupted run`]
        : []),
      "  credentials are sealed in the vault; next: connect-ops replicate --inventory FILE",
    ],
  };
}
