import type { Command } from "commander";
import type { CommandContext, CommandResult, CommandRunner } from "../context.js";
import { EXIT } from "../exit-codes.js";

export interface StatusOptions {
  readonly offline?: boolean;
}

export async function runStatusCommand(context: CommandContext, options: StatusOptions): Promise<CommandResult> {
  const { readStatus } = await import("../flows/status.js");
  const status = await readStatus(context, { offline: options.offline === true });
  const drifted = status.cloud.drift.length > 0;
  const human = status.connected
    ? [
        `Connected: ${status.record?.hostname ?? "?"} → ${status.record?.account.type}:${status.record?.account.login} at ${status.cloud.url}`,
        `  vault       generation ${status.vault.generation}, key ${status.vault.keyFingerprint}`,
        `  token       expires ${status.token.expiresAt}`,
        status.cloud.checked
          ? drifted
            ? `  cloud       DRIFT: ${status.cloud.drift.map((item) => `${item.field} local=${item.local} cloud=${item.cloud}`).join("; ")}`
            : "  cloud       the cloud's connection record matches this appliance"
          : "  cloud       not checked (--offline)",
      ]
    : [`Not connected: no credentials are sealed in ${status.vault.path}`];
  return { exitCode: drifted ? EXIT.problemFound : EXIT.ok, json: status, human };
}

export function registerStatus(program: Command, run: CommandRunner): void {
  program
    .command("status")
    .description("show the connection, the vault and the token; compare the cloud's record with this appliance (drift exits 1)")
    .option("--offline", "do not contact the cloud")
    .addHelpText("after", "\nExample:\n  connect-ops status --offline --json")
    .action((options: StatusOptions) => run((context) => runStatusCommand(context, options)));
}
