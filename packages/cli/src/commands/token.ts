import type { Command } from "commander";
import { join } from "node:path";
import type { CommandContext, CommandResult, CommandRunner } from "../context.js";

export interface TokenOptions {
  readonly minTtl?: string;
  readonly force?: boolean;
  readonly verify?: boolean;
}

/** GitHub installation tokens live one hour (DOMAIN-FACTS.md). */
const TOKEN_LIFETIME_MS = 60 * 60_000;

export async function runTokenCommand(context: CommandContext, options: TokenOptions): Promise<CommandResult> {
  // The lifecycle module's static imports keep a cache hit free of zod and octokit.
  const [{ ensureFreshToken, parseDuration }, { tokenPorts }] = await Promise.all([
    import("../lifecycle/token.js"),
    import("../wiring/connect.js"),
  ]);
  const minTtlMs =
    options.minTtl === undefined ? await configuredMinTtlMs(context) : parseDuration(options.minTtl, "--min-ttl");
  if (minTtlMs >= TOKEN_LIFETIME_MS) {
    const { usageError } = await import("../errors.js");
    const given =
      options.minTtl === undefined
        ? `the config's tokenMinTtlSeconds ${minTtlMs / 1000}`
        : `--min-ttl ${options.minTtl}`;
    throw usageError(
      `${given} is at or over an installation token's lifetime (1 hour): every run would mint a new one`,
      "pass a margin below 1h; the documented cron uses --min-ttl 15m every 5 minutes",
    );
  }
  const result = await ensureFreshToken(await tokenPorts(context), {
    minTtlMs,
    force: options.force === true,
    verify: options.verify === true,
  });
  const { renderToken } = await import("../render/token.js");
  return { ...renderToken(result), success: "token" };
}

/** Without --min-ttl: the config's `tokenMinTtlSeconds` (default 600 s), read by hand (no zod on the cache hit). */
async function configuredMinTtlMs(context: CommandContext): Promise<number> {
  const { readConfigFile } = await import("../flows/config-file.js");
  const { configPath, stateDir } = context.globals;
  const config = await readConfigFile(configPath ?? join(stateDir, "config.json"), {
    optional: configPath === undefined,
  });
  return (config.tokenMinTtlSeconds ?? DEFAULT_MIN_TTL_SECONDS) * 1000;
}

/** The schema's default of `tokenMinTtlSeconds`: 10 minutes. */
const DEFAULT_MIN_TTL_SECONDS = 600;

export function registerToken(program: Command, run: CommandRunner): void {
  program
    .command("token")
    .description(
      "make sure the sealed installation token is valid for longer than --min-ttl (mints only when needed; never prints it)",
    )
    .option(
      "--min-ttl <duration>",
      "mint when less than this remains (default: the config's tokenMinTtlSeconds, else 10m)",
    )
    .option("--force", "mint a new token even if the sealed one is valid (after a suspected leak)")
    .option("--verify", "ask the cloud whether the sealed token is still accepted; re-mint once if refused")
    .addHelpText("after", "\nExample (cron, every 5 minutes):\n  */5 * * * * connect-ops --json token --min-ttl 15m")
    .action((options: TokenOptions) => run((context) => runTokenCommand(context, options)));
}
