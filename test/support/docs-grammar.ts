import { execFileSync } from "node:child_process";
import { Command, CommanderError, Option } from "commander";
import { CLI_BIN as BIN } from "@connect-ops/test-support";

/** One command path of `connect-ops --json completion bash` (packages/cli/src/commands/completion.ts). */
interface GrammarNode {
  readonly path: string;
  readonly subcommands: ReadonlyArray<{ readonly name: string }>;
  readonly flags: ReadonlyArray<{ readonly spec: string; readonly value: string; readonly global: boolean }>;
  readonly arguments: readonly string[];
  readonly positional: string;
}

/** The grammar the built CLI reports: every command path, its flags and its arguments. */
export function cliGrammar(): GrammarNode[] {
  const out = execFileSync(process.execPath, [BIN, "--json", "completion", "bash"], {
    env: { ...process.env, NO_COLOR: "1" },
  });
  return (JSON.parse(out.toString()) as { commands: GrammarNode[] }).commands;
}

export interface ParseOutcome {
  /** commander's error code (`commander.unknownOption`, `commander.missingArgument`, …), or undefined when it parsed. */
  readonly code: string | undefined;
  readonly message: string;
  /** The command path the argv reached ("" for the root, "backup scan", …). */
  readonly path: string;
}

/**
 * A commander program rebuilt from the CLI's own grammar, with no-op actions:
 * parsing a documented command line through it is exactly commander's parse
 * of the real CLI (same options, value flags, choices, arguments, excess
 * arguments refused), without running anything.
 */
export function createDocParser(grammar: readonly GrammarNode[]): (argv: readonly string[]) => ParseOutcome {
  return (argv) => {
    let reached = "";
    const commands = new Map<string, Command>();
    const root = new Command("connect-ops")
      .exitOverride()
      .configureOutput({ writeOut: () => undefined, writeErr: () => undefined });
    commands.set("", root);
    for (const node of grammar) {
      const words = node.path === "" ? [] : node.path.split(" ");
      if (words.at(-1) === "help" && node.arguments[0] === "[command]") continue; // commander adds its own help command
      const parent = commands.get(words.slice(0, -1).join(" "));
      const command = node.path === "" ? root : (parent as Command).command(words.at(-1) as string).exitOverride();
      commands.set(node.path, command);
      for (const flag of node.flags) {
        if (flag.spec === "-h, --help" || (node.path !== "" && flag.global)) continue;
        if (flag.spec.includes("--version")) {
          command.version("0.0.0", flag.spec);
          continue;
        }
        const option = new Option(flag.spec);
        if (flag.value.startsWith("choices:")) option.choices(flag.value.slice("choices:".length).split(" "));
        command.addOption(option);
      }
      node.arguments.forEach((spec, index) => {
        command.argument(spec);
        if (index === 0 && node.positional.startsWith("choices:")) {
          const argument = command.registeredArguments.at(-1);
          argument?.choices(node.positional.slice("choices:".length).split(" "));
        }
      });
      // Groups (the root, `backup`) have no action, as in the CLI: a bare group prints help.
      if (node.subcommands.length === 0) {
        command.action(() => {
          reached = node.path;
        });
      }
    }
    try {
      root.parse([...argv], { from: "user" });
      return { code: undefined, message: "", path: reached };
    } catch (error) {
      if (error instanceof CommanderError) {
        // `--help`, `--version` and a bare group (`connect-ops backup`) print help: that parses.
        if (
          [
            "commander.helpDisplayed",
            "commander.version",
            "commander.help",
            "commander.executeSubCommandAsync",
          ].includes(error.code)
        ) {
          return { code: undefined, message: "", path: reached };
        }
        return { code: error.code, message: error.message, path: reached };
      }
      throw error;
    }
  };
}
