import type { Command } from "commander";
import type { CommandContext, CommandResult, CommandRunner } from "../context.js";
import { usageError } from "../errors.js";

export interface EstateReportOptions {
  readonly estate?: string;
  readonly reports?: string;
  readonly out?: string;
  readonly signingKey?: string;
  readonly html?: string;
}

function required(value: string | undefined, flag: string, example: string): string {
  if (value === undefined) throw usageError(`estate report needs ${flag}`, `e.g. ${example}`);
  return value;
}

/** Exit 0 estate CLEAN, 1 residue on an appliance, 3 an appliance absent, unverified or inconclusive, 2 bad input. */
export async function runEstateReportCommand(
  context: CommandContext,
  options: EstateReportOptions,
): Promise<CommandResult> {
  const estateFile = required(options.estate, "--estate FILE", "--estate estate.json");
  const reports = required(options.reports, "--reports DIR", "--reports reports/");
  const out = required(options.out, "--out FILE", "--out estate-report.json");
  const { estateReportPorts } = await import("../wiring/estate.js");
  const { buildEstateReport } = await import("../lifecycle/estate-report.js");
  const { ports, request } = await estateReportPorts(context, {
    estateFile,
    reportsDir: reports,
    outFile: out,
    ...(options.signingKey === undefined ? {} : { signingKey: options.signingKey }),
    ...(options.html === undefined ? {} : { htmlFile: options.html }),
  });
  const outcome = await buildEstateReport(ports, request);
  const { renderEstateReport } = await import("../render/estate-report.js");
  return renderEstateReport(outcome);
}

export function registerEstate(program: Command, run: CommandRunner): void {
  const group = program
    .command("estate")
    .description("merge the signed verify-cleanup reports of many appliances into one signed estate report")
    .addHelpText(
      "after",
      "\nExample:\n  connect-ops estate report --estate estate.json --reports reports/ --out estate-report.json",
    );
  group
    .command("report")
    .description(
      "verify each appliance's signed report against the estate file's key and merge them; exit 0 clean, 1 residue, 3 gaps (absent, unverified, inconclusive)",
    )
    .option(
      "--estate <file>",
      'the appliances: {"estate": NAME, "appliances": [{"name", "publicKey" | "publicKeyFile", "expected"}]}',
    )
    .option("--reports <dir>", "the appliances' reports, as <name>.json with <name>.json.sig")
    .option("--out <file>", "write the signed estate report here and its raw Ed25519 signature to FILE.sig")
    .option(
      "--signing-key <file>",
      "the Ed25519 private key (PEM) to sign with (default <state-dir>/audit-signing.key)",
    )
    .option("--html <file>", "also write a self-contained HTML rendering of the signed estate report (prints to PDF)")
    .addHelpText(
      "after",
      "\nExample (on the admin host that collected the reports):\n  connect-ops estate report --estate estate.json --reports reports/ --out estate-report.json\n  connect-ops verify-report estate-report.json   # checks it and every embedded report",
    )
    .action((options: EstateReportOptions) => run((context) => runEstateReportCommand(context, options)));
}
