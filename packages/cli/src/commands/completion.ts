import { Argument, type Command, type Option } from "commander";
// The subpath, not the package index: completion is registered at startup, and the index loads ssh2.
import { shellQuote } from "@connect-ops/replication/shell-quote";
import type { CommandContext, CommandResult, CommandRunner } from "../context.js";
import { EXIT } from "../exit-codes.js";

/** What a flag's value completes to: nothing (a switch), files, directories, fixed choices, or free text. */
type ValueKind = "none" | "file" | "dir" | "text" | `choices:${string}`;

interface CompletionFlag {
  /** As declared, e.g. `--state-dir <dir>`, `-V, --version`. */
  readonly spec: string;
  readonly names: readonly string[];
  readonly description: string;
  readonly value: ValueKind;
  /** A root option: accepted before and after any subcommand (commander's default). */
  readonly global: boolean;
}

/** One command path as the shell sees it: "" is the root, then "backup", "backup scan", … */
export interface CompletionNode {
  readonly path: string;
  readonly subcommands: ReadonlyArray<{ readonly name: string; readonly description: string }>;
  readonly flags: readonly CompletionFlag[];
  /** Its positional arguments as declared (`<snapshot>`, `[command]`). */
  readonly arguments: readonly string[];
  /** What its positional arguments complete to: files (paths), fixed choices, or nothing. */
  readonly positional: "none" | "file" | `choices:${string}`;
}

function valueKind(option: Option): ValueKind {
  if (!option.required && !option.optional) return "none";
  if (option.argChoices !== undefined) return `choices:${option.argChoices.join(" ")}`;
  if (/<file>/.test(option.flags)) return "file";
  if (/<dir>/.test(option.flags)) return "dir";
  return "text";
}

const firstLine = (text: string) => text.split("\n")[0] ?? "";

/**
 * Walks the commander program (its commands, their options and arguments) so
 * the completion can never drift from what the CLI accepts. The root's
 * options are accepted after any subcommand too (commander's default), so
 * every node also lists them.
 */
export function completionNodes(program: Command): CompletionNode[] {
  const help = program.createHelp();
  const flagsOf = (command: Command): CompletionFlag[] =>
    help.visibleOptions(command).map((option) => ({
      spec: option.flags,
      names: [option.long, option.short].filter((name): name is string => name !== undefined),
      description: option.description,
      value: valueKind(option),
      global: command === program,
    }));
  const rootFlags = flagsOf(program);
  // After a subcommand, --version means nothing: offer it at the root only.
  const inheritedFlags = rootFlags.filter((flag) => flag.names[0] !== "--version");
  const nodes: CompletionNode[] = [];
  const visit = (command: Command, path: string) => {
    const own =
      command === program
        ? []
        : flagsOf(command).filter((flag) => !rootFlags.some((root) => root.names[0] === flag.names[0]));
    const subcommands = help
      .visibleCommands(command)
      .map((sub) => ({ name: sub.name(), description: firstLine(sub.description()) }));
    const choices = command.registeredArguments[0]?.argChoices;
    nodes.push({
      path,
      subcommands,
      flags: [...own, ...(command === program ? rootFlags : inheritedFlags)],
      arguments: command.registeredArguments.map((argument) => {
        const name = `${argument.name()}${argument.variadic ? "..." : ""}`;
        return argument.required ? `<${name}>` : `[${name}]`;
      }),
      positional:
        command.registeredArguments.length === 0
          ? "none"
          : choices === undefined
            ? "file"
            : `choices:${choices.join(" ")}`,
    });
    const join = (name: string) => (path === "" ? name : `${path} ${name}`);
    for (const sub of command.commands) visit(sub, join(sub.name()));
    // commander's implicit `help [command]` is not in `commands`: it completes its siblings' names.
    if (subcommands.some((sub) => sub.name === "help") && !command.commands.some((sub) => sub.name() === "help")) {
      const siblings = subcommands.filter((sub) => sub.name !== "help").map((sub) => sub.name);
      nodes.push({
        path: join("help"),
        subcommands: [],
        flags: inheritedFlags,
        arguments: ["[command]"],
        positional: `choices:${siblings.join(" ")}`,
      });
    }
  };
  visit(program, "");
  return nodes;
}

/** Helpers shared by both shells: plain `case` functions, valid bash and zsh. */
function sharedFunctions(nodes: readonly CompletionNode[]): string[] {
  const valued = new Map<string, ValueKind>();
  for (const node of nodes) {
    for (const flag of node.flags) {
      if (flag.value === "none") continue;
      // A root flag matches after any subcommand path: the pattern *'|--flag'.
      for (const name of flag.names)
        valued.set(flag.global ? `*${shellQuote(`|${name}`)}` : shellQuote(`${node.path}|${name}`), flag.value);
    }
  }
  return [
    "# _connect_ops_value_kind PATH FLAG: how the value of FLAG completes (empty: FLAG takes no value)",
    "_connect_ops_value_kind() {",
    '  case "$1|$2" in',
    ...[...valued].map(([pattern, kind]) => `    ${pattern}) echo ${shellQuote(kind)} ;;`),
    "  esac",
    "}",
    "# _connect_ops_subcommands PATH",
    "_connect_ops_subcommands() {",
    '  case "$1" in',
    ...nodes
      .filter((node) => node.subcommands.length > 0)
      .map(
        (node) =>
          `    ${shellQuote(node.path)}) echo ${shellQuote(node.subcommands.map((sub) => sub.name).join(" "))} ;;`,
      ),
    "  esac",
    "}",
    "# _connect_ops_flags PATH",
    "_connect_ops_flags() {",
    '  case "$1" in',
    ...nodes.map(
      (node) =>
        `    ${shellQuote(node.path)}) echo ${shellQuote(node.flags.flatMap((flag) => flag.names.filter((name) => name.startsWith("--"))).join(" "))} ;;`,
    ),
    "  esac",
    "}",
    "# _connect_ops_positional PATH: how the command's arguments complete (file, choices:…; empty: none)",
    "_connect_ops_positional() {",
    '  case "$1" in',
    ...nodes
      .filter((node) => node.positional !== "none")
      .map((node) => `    ${shellQuote(node.path)}) echo ${shellQuote(node.positional)} ;;`),
    "  esac",
    "}",
    "# _connect_ops_walk WORD…: sets _connect_ops_path (the subcommand) and _connect_ops_pending (a flag awaiting its value)",
    "_connect_ops_walk() {",
    '  _connect_ops_path="" _connect_ops_pending=""',
    "  local word",
    '  for word in "$@"; do',
    '    if [ -n "$_connect_ops_pending" ]; then _connect_ops_pending=""; continue; fi',
    '    case "$word" in',
    "      --*=*) ;;",
    '      -*) [ -n "$(_connect_ops_value_kind "$_connect_ops_path" "$word")" ] && _connect_ops_pending="$word" ;;',
    '      *) case " $(_connect_ops_subcommands "$_connect_ops_path") " in',
    '           *" $word "*) _connect_ops_path="${_connect_ops_path:+$_connect_ops_path }$word" ;;',
    "         esac ;;",
    "    esac",
    "  done",
    "}",
  ];
}

export function bashCompletion(nodes: readonly CompletionNode[]): string {
  return [
    "# bash completion for connect-ops, generated from its commands by `connect-ops completion bash`.",
    "# Load now:   source <(connect-ops completion bash)",
    "# Install:    connect-ops completion bash > ~/.local/share/bash-completion/completions/connect-ops",
    ...sharedFunctions(nodes),
    "_connect_ops() {",
    '  local cur="${COMP_WORDS[COMP_CWORD]}" kind',
    '  _connect_ops_walk "${COMP_WORDS[@]:1:COMP_CWORD-1}"',
    "  COMPREPLY=()",
    '  local subcommands="$(_connect_ops_subcommands "$_connect_ops_path")"',
    '  if [ -n "$_connect_ops_pending" ]; then kind="$(_connect_ops_value_kind "$_connect_ops_path" "$_connect_ops_pending")"',
    '  elif [[ $cur == -* ]]; then kind="flags"',
    '  elif [ -n "$subcommands" ]; then kind="choices:$subcommands"',
    '  else kind="$(_connect_ops_positional "$_connect_ops_path")"; kind="${kind:-flags}"',
    "  fi",
    '  case "$kind" in',
    '    file) compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -f -- "$cur")) ;;',
    '    dir) compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -d -- "$cur")) ;;',
    '    choices:*) COMPREPLY=($(compgen -W "${kind#choices:}" -- "$cur")) ;;',
    '    flags) COMPREPLY=($(compgen -W "$(_connect_ops_flags "$_connect_ops_path")" -- "$cur")) ;;',
    "  esac",
    "}",
    "complete -F _connect_ops connect-ops",
    "",
  ].join("\n");
}

/** zsh's `_describe` takes `name:description`; a colon in the name must be escaped. */
const describeEntry = (name: string, description: string) =>
  shellQuote(`${name.replaceAll(":", "\\:")}:${description}`);

export function zshCompletion(nodes: readonly CompletionNode[]): string {
  const described = (select: (node: CompletionNode) => string[]) => [
    '  case "$_connect_ops_path" in',
    ...nodes.map((node) => `    ${shellQuote(node.path)}) entries=(${select(node).join(" ")}) ;;`),
    "  esac",
  ];
  return [
    "#compdef connect-ops",
    "# zsh completion for connect-ops, generated from its commands by `connect-ops completion zsh`.",
    "# Load now (after compinit):  source <(connect-ops completion zsh)",
    '# Install:  connect-ops completion zsh > "${fpath[1]}/_connect-ops"',
    ...sharedFunctions(nodes),
    "_connect_ops_describe_flags() {",
    "  local -a entries",
    ...described((node) =>
      node.flags.flatMap((flag) =>
        flag.names.filter((name) => name.startsWith("--")).map((name) => describeEntry(name, flag.description)),
      ),
    ),
    "  _describe -t options option entries",
    "}",
    "_connect_ops_describe_subcommands() {",
    "  local -a entries",
    ...described((node) => node.subcommands.map((sub) => describeEntry(sub.name, sub.description))),
    "  _describe -t commands command entries",
    "}",
    "_connect-ops() {",
    "  local kind",
    '  _connect_ops_walk "${(@)words[2,CURRENT-1]}"',
    '  if [[ -n $_connect_ops_pending ]]; then kind="$(_connect_ops_value_kind "$_connect_ops_path" "$_connect_ops_pending")"',
    '  elif [[ $PREFIX == -* ]]; then kind="flags"',
    '  elif [[ -n "$(_connect_ops_subcommands "$_connect_ops_path")" ]]; then kind="subcommands"',
    '  else kind="$(_connect_ops_positional "$_connect_ops_path")"; kind="${kind:-flags}"',
    "  fi",
    '  case "$kind" in',
    "    file) _files ;;",
    "    dir) _files -/ ;;",
    "    choices:*) compadd -- ${=kind#choices:} ;;",
    "    flags) _connect_ops_describe_flags ;;",
    "    subcommands) _connect_ops_describe_subcommands ;;",
    "  esac",
    "}",
    'if [[ "${funcstack[1]}" == "_connect-ops" ]]; then _connect-ops "$@"; else compdef _connect-ops connect-ops; fi',
    "",
  ].join("\n");
}

/**
 * `connect-ops completion bash|zsh`: the script on stdout. With `--json`,
 * `{shell, script, commands}`: `commands` is the grammar the script was made
 * from (every command path, its flags, value kinds and arguments), for other
 * shells and for the docs test that parses every documented command line.
 */
export function runCompletionCommand(program: Command, shell: "bash" | "zsh"): CommandResult {
  const nodes = completionNodes(program);
  const script = shell === "bash" ? bashCompletion(nodes) : zshCompletion(nodes);
  return { exitCode: EXIT.ok, json: { shell, script, commands: nodes }, human: [script.trimEnd()] };
}

export function registerCompletion(program: Command, run: CommandRunner): void {
  program
    .command("completion")
    .description("print a bash or zsh completion script for every command, subcommand and flag")
    .addArgument(new Argument("<shell>", "the shell to complete for").choices(["bash", "zsh"]))
    .addHelpText(
      "after",
      '\nExamples:\n  source <(connect-ops completion bash)                                   # this bash session\n  connect-ops completion bash > ~/.local/share/bash-completion/completions/connect-ops\n  connect-ops completion zsh > "${fpath[1]}/_connect-ops"                  # then restart zsh',
    )
    .action((shell: "bash" | "zsh") =>
      run((_context: CommandContext) => Promise.resolve(runCompletionCommand(program, shell))),
    );
}
