import type { CommandResult } from "../context.js";
import { EXIT } from "../exit-codes.js";
import type { TokenResult } from "../lifecycle/token.js";

/** The `token` command's output: exit code, `--json` document and human lines (shared with the demo). */
export function renderToken(result: TokenResult): CommandResult {
  return {
    exitCode: EXIT.ok,
    json: { expiresAt: result.expiresAt, minted: result.minted },
    human: [
      result.minted
        ? `Minted a new installation token, sealed in the vault (generation ${result.generation}); it expires ${result.expiresAt}`
        : `The sealed installation token is valid until ${result.expiresAt}; nothing to do`,
      ...(result.discardedRefused ? ["  the previous token was refused by the cloud and was discarded"] : []),
    ],
  };
}
