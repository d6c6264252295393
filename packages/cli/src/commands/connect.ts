import type { Command } from "commander";
import type { CommandContext, CommandResult, CommandRunner } from "../context.js";
import { usageError } from "../errors.js";
import type { ConnectRequest } from "../lifecycle/connect.js";

/** The flags as commander names them. */
export interface ConnectOptions {
  readonly cloudUrl: string;
  readonly hostname?: string;
  readonly ghesVersion?: string;
  readonly license?: string;
  readonly account: string;
  readonly manifest?: boolean;
  readonly callbackPort?: string;
  readonly open?: boolean;
  readonly timeout: string;
  readonly discardOrphan?: boolean;
}

/** The GitHub App-manifest flow (`--manifest`): no license or record; a person creates the App in a browser. */
async function runManifestConnect(context: CommandContext, options: ConnectOptions): Promise<CommandResult> {
  const port = options.callbackPort ?? "0";
  if (!/^\d{1,5}$/.test(port) || Number(port) > 65535) {
    throw usageError(
      `--callback-port "${port}" is not a port number`,
      "pass 1024-65535, or leave it out for any free port",
    );
  }
  const [{ manifestConnectPorts }, { connectViaManifest }, { parseDuration }] = await Promise.all([
    import("../wiring/connect.js"),
    import("../lifecycle/connect-manifest.js"),
    import("@connect-ops/connection-core"),
  ]);
  const outcome = await connectViaManifest(await manifestConnectPorts(context, { open: options.open === true }), {
    cloudUrl: options.cloudUrl,
    account: options.account,
    callbackPort: Number(port),
    timeoutMs: parseDuration(options.timeout, "--timeout"),
    discardOrphan: options.discardOrphan === true,
  });
  const { renderManifestConnect } = await import("../render/connect-manifest.js");
  return renderManifestConnect(outcome);
}

export async function runConnectCommand(context: CommandContext, options: ConnectOptions): Promise<CommandResult> {
  if (options.manifest === true) return runManifestConnect(context, options);
  const { hostname, ghesVersion, license } = options;
  if (hostname === undefined || ghesVersion === undefined || license === undefined) {
    const missing = [
      ...(hostname === undefined ? ["--hostname"] : []),
      ...(ghesVersion === undefined ? ["--ghes-version"] : []),
      ...(license === undefined ? ["--license"] : []),
    ];
    throw usageError(
      `connect needs ${missing.join(", ")} (a Connect record is registered with them)`,
      "pass them, or use --manifest for a cloud without Connect records (github.com): connect --manifest --account organization:LOGIN",
    );
  }
  const { connectPorts } = await import("../wiring/connect.js");
  const { connectAppliance } = await import("../lifecycle/connect.js");
  const request: ConnectRequest = {
    cloudUrl: options.cloudUrl,
    hostname,
    ghesVersion,
    account: options.account,
    licenseFile: license,
    licensePath: context.resolvePath(license),
  };
  const outcome = await connectAppliance(await connectPorts(context), request);
  const { renderConnect } = await import("../render/connect.js");
  return renderConnect(outcome, { hostname, account: options.account, cloudUrl: options.cloudUrl });
}

export function registerConnect(program: Command, run: CommandRunner): void {
  program
    .command("connect")
    .description("enable GitHub Connect: register the connection, create the GitHub App, seal its key and first token")
    .requiredOption("--cloud-url <url>", "cloud API base URL (https://api.github.com, https://api.SUB.ghe.com)")
    .option("--hostname <host>", "this appliance's hostname as registered on the cloud (not with --manifest)")
    .option("--ghes-version <version>", "this appliance's GHES version, e.g. 3.14.2 (not with --manifest)")
    .option(
      "--license <file>",
      "the appliance's license file (JSON with customer_name and public_key; not with --manifest)",
    )
    .requiredOption("--account <type:login>", "organization:LOGIN or enterprise:SLUG")
    .option(
      "--manifest",
      "create the App with GitHub's App-manifest flow in a browser (clouds without Connect records)",
    )
    .option(
      "--callback-port <port>",
      "with --manifest: the 127.0.0.1 port for GitHub's redirect (default: any free port)",
    )
    .option("--open", "with --manifest: open the URL in the desktop's browser (xdg-open)")
    .option("--timeout <duration>", "with --manifest: how long to wait for the browser to come back", "10m")
    .option(
      "--discard-orphan",
      "with --manifest: after deleting the App a killed run left unsealed (CLI_MANIFEST_ORPHAN_APP), start over",
    )
    .addHelpText(
      "after",
      "\nThe cloud admin token is read from CONNECT_OPS_CLOUD_TOKEN (never from arguments).\nRe-running after an interruption resumes; it never creates a second app.\n\nWith --manifest no admin token, license or record is needed: the command prints a URL on 127.0.0.1;\nopening it posts the App's manifest to the account's settings page, and GitHub's redirect back\n(its state checked) hands over the App's key, which is sealed at once. A run killed after the\nconversion and before the seal leaves an App nobody can take over: the next run names it\n(exit 3, CLI_MANIFEST_ORPHAN_APP) instead of making a second one; delete it, then --discard-orphan.\n\nExamples:\n  CONNECT_OPS_CLOUD_TOKEN=… connect-ops connect --cloud-url https://api.github.com \\\n    --hostname ghes.example.com --ghes-version 3.14.2 --license /data/enterprise/enterprise.ghl --account enterprise:acme\n  connect-ops connect --manifest --cloud-url https://api.github.com --account organization:acme-ops --open",
    )
    .action((options: ConnectOptions) => run((context) => runConnectCommand(context, options)));
}
