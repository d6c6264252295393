import type { CommandResult } from "../context.js";
import { EXIT } from "../exit-codes.js";
import type { InitResult } from "@connect-ops/credential-vault";

/** The `init` command's output: exit code, `--json` document and human lines (shared with the demo). */
export function renderInit(result: InitResult): CommandResult {
  return {
    exitCode: EXIT.ok,
    json: { stateDir: result.stateDir, identityFile: result.identityFile, recipient: result.recipient },
    human: [
      `Initialised ${result.stateDir}`,
      `  appliance identity  ${result.identityFile}`,
      `  recipient           ${result.recipient}`,
      ...(result.recoveryRecipients.length > 0
        ? [`  recovery            ${result.recoveryRecipients.join(", ")}`]
        : []),
      `  audit signing key   ${result.auditPublicKeyFile}`,
      "Next: connect-ops connect --help",
    ],
  };
}
