import type { CommandResult } from "../context.js";
import { EXIT } from "../exit-codes.js";
import { withRelativeTime } from "../flows/human-units.js";
import type { TokenResult } from "../lifecycle/token.js";

/** The `token` command's output: exit code, `--json` document and human lines (shared with the demo). */
export function renderToken(result: TokenResult, nowMs?: number): CommandResult {
  const expires = nowMs === undefined ? result.expiresAt : withRelativeTime(result.expiresAt, nowMs);
  return {
    exitCode: EXIT.ok,
    json: { expiresAt: result.expiresAt, minted: result.minted },
    human: [
      result.minted
        ? `Minted a new installation token, sealed in the vault (generation ${result.generation}); it expires ${expires}`
        : `The sealed installation token is valid until ${expires}; nothing to do`,
      ...(result.discardedRefused ? ["  the previous token was refused by the cloud and was discarded"] : []),
    ],
  };
}
