import type { Command } from "commander";
import type { CommandContext, CommandResult, CommandRunner } from "../context.js";
import { usageError } from "../errors.js";
import { EXIT } from "../exit-codes.js";
import { optionalTopologyFlags, type TopologyOptions } from "../flows/topology-options.js";
import { withNodeFlags } from "./node-flags.js";

export interface DoctorOptions extends TopologyOptions {
  readonly cloudUrl?: string;
}

function checkCloudUrl(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (
    url === undefined ||
    (url.protocol !== "https:" && url.protocol !== "http:") ||
    url.username !== "" ||
    url.password !== ""
  )
    throw usageError(
      "--cloud-url is not an http(s) URL without credentials",
      "pass the API base URL, e.g. https://api.github.com or https://api.SUBDOMAIN.ghe.com",
    );
  return `${url.origin}${url.pathname.replace(/\/+$/, "")}`;
}

export async function runDoctorCommand(context: CommandContext, options: DoctorOptions): Promise<CommandResult> {
  const cloudUrl = checkCloudUrl(options.cloudUrl);
  const [{ runDoctor }, { doctorPorts }] = await Promise.all([
    import("../lifecycle/doctor.js"),
    import("../wiring/doctor.js"),
  ]);
  const report = await runDoctor(await doctorPorts(context, { cloudUrl, topology: optionalTopologyFlags(options) }));
  const { renderDoctor } = await import("../render/doctor.js");
  return { exitCode: report.ok ? EXIT.ok : EXIT.problemFound, json: report, human: renderDoctor(report) };
}

export function registerDoctor(program: Command, run: CommandRunner): void {
  withNodeFlags(program.command("doctor"), {
    inventory: "also check each node of this inventory: known_hosts entry, SSH login, target dir writable",
    select: true,
    writes: false,
  })
    .description(
      "read-only preflight: Node, state dir and identity, config, the cloud through the proxy (TLS, clock, tokens, App JWT), and the nodes",
    )
    .option("--cloud-url <url>", "the cloud API base URL to check (default: the connected cloud's)")
    .addHelpText(
      "after",
      [
        "",
        "Read-only: writes nothing anywhere (no lock, journal, known_hosts entry or file on a node).",
        "Each failing row says what to do.",
        "",
        "Exit: 0 every check passed (or was skipped) · 1 a check failed · 2 bad usage or input",
        "",
        "Example:",
        "  connect-ops doctor",
        "  connect-ops doctor --cloud-url https://api.github.com --inventory /data/user/common/connect-ops/inventory.json --json",
      ].join("\n"),
    )
    .action((options: DoctorOptions) => run((context) => runDoctorCommand(context, options)));
}
