import type { CommandResult } from "../context.js";
import { EXIT } from "../exit-codes.js";
import type { IncludeOutcome } from "../lifecycle/backup-include.js";

/** The `backup-include` command's output: exit code, `--json` document and human lines (shared with the demo). */
export function renderInclude(outcome: IncludeOutcome): CommandResult {
  const { manifest } = outcome;
  return {
    exitCode: EXIT.ok,
    json: outcome,
    human: [
      outcome.changed
        ? `Included the sealed Connect credentials in ${outcome.snapshot}/github-connect/credentials.age`
        : `Already included in ${outcome.snapshot} (same vault generation and recipients); nothing changed`,
      `  generation ${manifest.generation}, app ${manifest.appId}, key ${manifest.keyFingerprint}, token expires ${manifest.tokenExpiresAt}`,
      `  sealed to  ${manifest.recipients.join(", ")}`,
      "  restore with: connect-ops backup restore SNAPSHOT --identity BACKUP-IDENTITY-FILE",
    ],
  };
}
