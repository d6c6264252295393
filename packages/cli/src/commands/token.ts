import type { Command } from "commander";
import type { CommandContext, CommandResult, CommandRunner } from "../context.js";

export interface TokenOptions {
  readonly minTtl: string;
  readonly force?: boolean;
  readonly verify?: boolean;
}

export async function runTokenCommand(context: CommandContext, options: TokenOptions): Promise<CommandResult> {
  // The lifecycle module's static imports keep a cache hit free of zod and octokit.
  const [{ ensureFreshToken, parseDuration }, { tokenPorts }] = await Promise.all([
    import("../lifecycle/token.js"),
    import("../wiring/connect.js"),
  ]);
  const minTtlMs = parseDuration(options.minTtl, "--min-ttl");
  const result = await ensureFreshToken(await tokenPorts(context), {
    minTtlMs,
    force: options.force === true,
    verify: options.verify === true,
  });
  const { renderToken } = await import("../render/token.js");
  return { ...renderToken(result), success: "token" };
}

export function registerToken(program: Command, run: CommandRunner): void {
  program
    .command("token")
    .description(
      "make sure the sealed installation token is valid for longer than --min-ttl (mints only when needed; never prints it)",
    )
    .option("--min-ttl <duration>", "mint when less than this remains", "10m")
    .option("--force", "mint a new token even if the sealed one is valid (after a suspected leak)")
    .option("--verify", "ask the cloud whether the sealed token is still accepted; re-mint once if refused")
    .addHelpText("after", "\nExample (cron, every 5 minutes):\n  */5 * * * * connect-ops --json token --min-ttl 15m")
    .action((options: TokenOptions) => run((context) => runTokenCommand(context, options)));
}
