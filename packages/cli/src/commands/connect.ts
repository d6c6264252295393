import type { Command } from "commander";
import type { CommandContext, CommandResult, CommandRunner } from "../context.js";
import type { ConnectRequest } from "../lifecycle/connect.js";

/** The flags as commander names them. */
export interface ConnectOptions {
  readonly cloudUrl: string;
  readonly hostname: string;
  readonly ghesVersion: string;
  readonly license: string;
  readonly account: string;
}

export async function runConnectCommand(context: CommandContext, options: ConnectOptions): Promise<CommandResult> {
  const { connectPorts } = await import("../wiring/connect.js");
  const { connectAppliance } = await import("../lifecycle/connect.js");
  const request: ConnectRequest = {
    ...options,
    licenseFile: options.license,
    licensePath: context.resolvePath(options.license),
  };
  const outcome = await connectAppliance(await connectPorts(context), request);
  const { renderConnect } = await import("../render/connect.js");
  return renderConnect(outcome, options);
}

export function registerConnect(program: Command, run: CommandRunner): void {
  program
    .command("connect")
    .description("enable GitHub Connect: register the connection, create the GitHub App, seal its key and first token")
    .requiredOption("--cloud-url <url>", "cloud API base URL (https://api.github.com, https://api.SUB.ghe.com)")
    .requiredOption("--hostname <host>", "this appliance's hostname as registered on the cloud")
    .requiredOption("--ghes-version <version>", "this appliance's GHES version, e.g. 3.14.2")
    .requiredOption("--license <file>", "the appliance's license file (JSON with customer_name and public_key)")
    .requiredOption("--account <type:login>", "organization:LOGIN or enterprise:SLUG")
    .addHelpText(
      "after",
      "\nThe cloud admin token is read from CONNECT_OPS_CLOUD_TOKEN (never from arguments).\nRe-running after an interruption resumes; it never creates a second app.\n\nExample:\n  CONNECT_OPS_CLOUD_TOKEN=… connect-ops connect --cloud-url https://api.github.com \\\n    --hostname ghes.example.com --ghes-version 3.14.2 --license /data/enterprise/enterprise.ghl --account enterprise:acme",
    )
    .action((options: ConnectOptions) => run((context) => runConnectCommand(context, options)));
}
