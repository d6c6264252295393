import type { Command } from "commander";
import type { CommandContext, CommandResult, CommandRunner } from "../context.js";

/** The flags as commander names them. */
export interface AdoptOptions {
  readonly cloudUrl: string;
  readonly appId: string;
  readonly privateKey: string;
  readonly installationId?: string;
  readonly account?: string;
  readonly removeSource?: boolean;
}

export async function runAdoptCommand(context: CommandContext, options: AdoptOptions): Promise<CommandResult> {
  const { connectPorts } = await import("../wiring/connect.js");
  const { adoptApp } = await import("../lifecycle/adopt.js");
  const outcome = await adoptApp(await connectPorts(context), {
    cloudUrl: options.cloudUrl,
    appId: options.appId,
    installationId: options.installationId,
    account: options.account,
    privateKeyFile: options.privateKey,
    privateKeyPath: context.resolvePath(options.privateKey),
    removeSource: options.removeSource === true,
  });
  const { renderAdopt } = await import("../render/adopt.js");
  return renderAdopt(outcome);
}

export function registerAdopt(program: Command, run: CommandRunner): void {
  program
    .command("adopt")
    .description(
      "take over an existing GitHub App (made in the settings page or by GHES): check its key, seal key and token",
    )
    .requiredOption("--cloud-url <url>", "cloud API base URL (https://api.github.com, https://api.SUB.ghe.com)")
    .requiredOption("--app-id <id>", "the App's numeric id (its settings page, About)")
    .requiredOption("--private-key <file>", "a PEM private key of the App, as GitHub downloaded it")
    .option("--installation-id <id>", "the App's installation to use (or --account)")
    .option(
      "--account <type:login>",
      "find the App's installation on this account: organization:LOGIN, enterprise:SLUG",
    )
    .option("--remove-source", "overwrite and remove the PEM file once the key is sealed")
    .addHelpText(
      "after",
      "\nThe key is checked against the cloud (GET /app with its JWT must answer this app id) before anything\nis written; a wrong key, app id or installation exits 2 with nothing changed. Pass exactly one of\n--installation-id and --account (the installation is then found with the App's JWT: GET /app/installations).\n\nExample:\n  connect-ops adopt --cloud-url https://api.github.com --app-id 123456 \\\n    --private-key ./connect.2026-05-01.private-key.pem --account organization:acme-ops --remove-source",
    )
    .action((options: AdoptOptions) => run((context) => runAdoptCommand(context, options)));
}
