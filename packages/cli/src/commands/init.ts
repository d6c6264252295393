import type { Command } from "commander";
import type { CommandContext, CommandResult } from "../context.js";
import type { CommandRunner } from "../context.js";

export interface InitOptions {
  readonly recipient: readonly string[];
}

/** `connect-ops init`: creates the state dir, its age identity and the audit signing key. */
export async function runInit(context: CommandContext, options: InitOptions): Promise<CommandResult> {
  const { ageRecipientSchema, parseInput } = await import("@connect-ops/connection-core");
  const { z } = await import("zod");
  const recipients = parseInput(
    z.array(ageRecipientSchema),
    options.recipient,
    "--recipient",
    "pass an age X25519 recipient such as the output of `age-keygen -y FILE`",
  );
  const { initStateDir } = await import("@connect-ops/credential-vault");
  const result = await initStateDir(context.globals.stateDir, { recoveryRecipients: recipients, now: context.io.now });
  const { renderInit } = await import("../render/init.js");
  return renderInit(result);
}

const collect = (value: string, previous: string[]) => [...previous, value];

export function registerInit(program: Command, run: CommandRunner): void {
  program
    .command("init")
    .description("create the state directory, the appliance's age identity and the audit signing key")
    .option("--recipient <age1…>", "also seal credentials to this recovery recipient (repeatable)", collect, [])
    .addHelpText(
      "after",
      "\nExample:\n  connect-ops --state-dir /data/user/connect-ops init --recipient age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p",
    )
    .action((options: InitOptions) => run((context) => runInit(context, options)));
}
