import type { Command } from "commander";
import type { CommandContext, CommandResult, CommandRunner } from "../context.js";
import { EXIT } from "../exit-codes.js";
import { topologyFlags, type TopologyOptions } from "../flows/topology-options.js";
import { withNodeFlags } from "./node-flags.js";

export interface RekeyOptions extends TopologyOptions {
  readonly addRecipient: readonly string[];
  readonly removeRecipient: readonly string[];
  readonly newIdentity?: boolean;
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

export async function runRekeyCommand(context: CommandContext, options: RekeyOptions): Promise<CommandResult> {
  const { ageRecipientSchema, parseInput } = await import("@connect-ops/connection-core");
  const z = await import("zod");
  const hint = "an age X25519 recipient: age1… (age-keygen -y IDENTITY-FILE prints it)";
  const addRecipients = parseInput(z.array(ageRecipientSchema), options.addRecipient, "--add-recipient", hint);
  const removeRecipients = parseInput(z.array(ageRecipientSchema), options.removeRecipient, "--remove-recipient", hint);
  const { checkSealableRecipients } = await import("../flows/recipient-check.js");
  await checkSealableRecipients(addRecipients, "--add-recipient", hint);
  await checkSealableRecipients(removeRecipients, "--remove-recipient", hint);
  const given = topologyFlags(options);
  const { rekeyPorts } = await import("../wiring/rekey.js");
  const ports = await rekeyPorts(
    context,
    Object.keys(given).length === 0 ? undefined : given,
    addRecipients.length + removeRecipients.length > 0,
  );
  const { runRekey } = await import("../lifecycle/rekey.js");
  const outcome = await runRekey(ports, { addRecipients, removeRecipients, newIdentity: options.newIdentity === true });
  return {
    exitCode: EXIT.ok,
    json: outcome,
    human: [
      `Re-sealed the vault as generation ${outcome.generation}${outcome.resumed ? " (resumed an interrupted rekey)" : ""}`,
      `  sealed to  ${outcome.recipients.join(", ")}`,
      ...outcome.nodes.map(
        (node) => `  node       ${node.name}: ${node.status} (generation ${node.generationAfter ?? "none"})`,
      ),
      ...(outcome.identityReplaced
        ? [`  identity   replaced; the old one ${outcome.oldIdentityDestroyed ? "was shredded" : "was already gone"}`]
        : []),
    ],
  };
}

export function registerRekey(program: Command, run: CommandRunner): void {
  withNodeFlags(program.command("rekey"), {
    inventory: "the nodes holding copies: each gets the new sealing, verified, before the old identity goes",
    select: false,
    writes: true,
  })
    .description("re-seal the vault (and every node's copy) to a changed recipient set or a fresh appliance identity")
    .option("--add-recipient <age1…>", "also seal to this recovery recipient (repeatable)", collect, [])
    .option("--remove-recipient <age1…>", "stop sealing to this recovery recipient (repeatable)", collect, [])
    .option("--new-identity", "replace the appliance's age identity; the old one is shredded once every copy moved")
    .addHelpText(
      "after",
      [
        "",
        "rekey changes WHO CAN OPEN the sealed copies (the age recipients and the appliance identity);",
        "rotate-key changes the App's private key itself. (In SOPS terms: rekey is `updatekeys`, rotate-key is `rotate`.)",
        "",
        "Journaled in <state-dir>/journal/rekey.json: re-running (with no flags) after a crash finishes the job.",
        "The old identity is destroyed only after the vault and every node hold a generation that opens without it.",
        "Exit: 0 done · 2 bad input (nothing changed) · 3 some node did not take the new sealing (old identity kept; re-run)",
        "",
        "Example:",
        "  connect-ops rekey --new-identity --inventory /data/user/common/connect-ops/inventory.json",
        "  connect-ops rekey --add-recipient age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p",
      ].join("\n"),
    )
    .action((options: RekeyOptions) => run((context) => runRekeyCommand(context, options)));
}
