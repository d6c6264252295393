import { Command, CommanderError, Option } from "commander";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { COMMANDS } from "./commands/registry.js";
import { createContext, type CommandResult } from "./context.js";
import { errorJson, exitCodeFor, formatError, internalDetail, usageError } from "./errors.js";
import { EXIT } from "./exit-codes.js";
import { processIO, type CliIO } from "./io.js";

/** The CLI package's version: its package.json is 1 level up from src/ and 2 from dist/bundle/. */
function version(): string {
  for (const relative of ["../package.json", "../../package.json"]) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(relative, import.meta.url), "utf8")) as {
        name?: string;
        version: string;
      };
      if (pkg.name === "connect-ops") return pkg.version;
    } catch {
      // Harmless: no (readable) package.json at this level is the probe's expected miss; "0.0.0" shows it.
    }
  }
  return "0.0.0";
}

/** What a command prints for a person: everything, or under `--quiet` the verdict alone when it succeeded. */
function humanLines(result: CommandResult, quiet: boolean): readonly string[] {
  if (!quiet || result.exitCode !== EXIT.ok) return result.human;
  return result.verdict === undefined ? [] : [result.verdict];
}

function buildProgram(io: CliIO, setExit: (code: number) => void): Command {
  const program = new Command("connect-ops");
  program
    .description(
      "Manage the GitHub Connect credentials of a GitHub Enterprise Server appliance:\nconnect, seal, replicate, back up, disconnect, and prove the credentials are gone.",
    )
    .version(version(), "-V, --version", "print the version")
    .option("--state-dir <dir>", "state directory (env CONNECT_OPS_STATE_DIR; default $XDG_STATE_HOME/connect-ops)")
    .option("--config <file>", "config file (default <state-dir>/config.json)")
    .option(
      "--ca-file <file>",
      "CA certificates (PEM) to trust for the cloud besides the system store (a TLS-intercepting proxy's CA)",
    )
    .option("--json", "print one JSON document on stdout")
    .addOption(
      new Option("--log-level <level>", "log level for stderr (env CONNECT_OPS_LOG_LEVEL)").choices([
        "fatal",
        "error",
        "warn",
        "info",
        "debug",
        "trace",
        "silent",
      ]),
    )
    .option("--verbose", "same as --log-level debug (secrets are never logged)")
    .option("--no-progress", "no live progress, even on a terminal")
    .option(
      "--quiet",
      "for cron: on success print only the verdict line (nothing for a command without one); a failure still prints its report and errors",
    )
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
      outputError: (text, write) => write(`error[CLI_USAGE]: ${text.replace(/^error: /, "")}`),
    });

  const run = async (action: (context: ReturnType<typeof createContext>) => Promise<CommandResult>) => {
    const context = createContext(program, io);
    try {
      const result = await action(context);
      if (context.globals.json) io.stdout.write(`${JSON.stringify(result.json, null, 2)}\n`);
      else for (const line of humanLines(result, context.globals.quiet)) io.stdout.write(`${line}\n`);
      setExit(result.exitCode);
      if (result.exitCode === EXIT.ok && result.success !== undefined) {
        const { markSuccess } = await import("./flows/last-success.js");
        try {
          markSuccess(context.globals.stateDir, result.success, io.now());
        } catch (error) {
          // The command succeeded; only the monitoring mark is missing. Say so, do not fail the run.
          context.terminal.write(`warning: could not record the success for metrics: ${formatError(error)}\n`);
        }
      }
    } catch (error) {
      if (context.globals.json) io.stdout.write(`${JSON.stringify(errorJson(error), null, 2)}\n`);
      context.terminal.write(`${formatError(error)}\n`);
      if (exitCodeFor(error) === EXIT.internal && context.globals.logLevel === "debug") {
        context.terminal.write(`${internalDetail(error)}\n`);
      }
      setExit(exitCodeFor(error));
    }
  };
  for (const register of COMMANDS) register(program, run);
  return program;
}

/** The plugin convention's UNKNOWN (see render/check.ts). */
const PLUGIN_UNKNOWN = 3;

/** The first word of argv that is not an option or a global option's value: the command typed. */
function subcommandOf(argv: readonly string[]): string | undefined {
  const takesValue = new Set(["--state-dir", "--config", "--log-level", "--ca-file"]);
  for (let index = 0; index < argv.length; index += 1) {
    const word = argv[index] ?? "";
    if (takesValue.has(word)) index += 1;
    else if (!word.startsWith("-")) return word;
  }
  return undefined;
}

/** The value of `--config FILE` / `--config=FILE` in argv, if any. */
function configArgument(argv: readonly string[]): string | undefined {
  let value: string | undefined;
  for (let index = 0; index < argv.length; index += 1) {
    const word = argv[index] ?? "";
    if (word === "--") break;
    if (word === "--config") value = argv[index + 1];
    else if (word.startsWith("--config=")) value = word.slice("--config=".length);
  }
  return value;
}

/**
 * A given `--config` is checked before any command runs (every command has the global flag; the token cache hit and
 * `status --offline` too, cheaply: no zod). A missing or invalid file is exit 2 with its own code; `--help` is not
 * held up by it. Returns the exit code when the run must stop.
 */
async function checkGivenConfig(argv: readonly string[], io: CliIO): Promise<number | undefined> {
  const given = configArgument(argv);
  if (given === undefined || argv.includes("--help") || argv.includes("-h")) return undefined;
  const { readConfigFile } = await import("./flows/config-file.js");
  try {
    await readConfigFile(resolve(io.cwd, given), { optional: false });
    return undefined;
  } catch (error) {
    // `check` is a monitoring plugin: a config it cannot use is UNKNOWN (3) with a status line, as its bad usage is.
    if (subcommandOf(argv) === "check") {
      const { unknownLine } = await import("./render/check.js");
      io.stdout.write(`${unknownLine(formatError(error))}\n`);
      return PLUGIN_UNKNOWN;
    }
    if (argv.includes("--json")) io.stdout.write(`${JSON.stringify(errorJson(error), null, 2)}\n`);
    io.stderr.write(`${formatError(error)}\n`);
    return exitCodeFor(error);
  }
}

/**
 * The testable entry: parses `argv` (without node and script), runs the
 * command, writes to `io`, and returns the exit code. Never calls process.exit.
 */
export async function main(argv: readonly string[], given?: CliIO): Promise<number> {
  // The real process (not a test's in-memory IO): a signal removes this run's temporary files (issue 13.5).
  if (given === undefined) (await import("./signals.js")).installSignalCleanup();
  const io = given ?? processIO();
  // `--version` alone is answered before the program (every command's options) is built: it is what
  // monitoring and install checks run most, and commander would print exactly this string.
  if (argv.length === 1 && (argv[0] === "--version" || argv[0] === "-V")) {
    io.stdout.write(`${version()}\n`);
    return EXIT.ok;
  }
  const configError = await checkGivenConfig(argv, io);
  if (configError !== undefined) return configError;
  let exitCode: number = EXIT.ok;
  const program = buildProgram(io, (code) => {
    exitCode = code;
  });
  try {
    await program.parseAsync([...argv], { from: "user" });
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.exitCode === 0) return EXIT.ok;
      const message = error.message.replace(/^error: /, "");
      // `check` is a monitoring plugin: its bad usage is UNKNOWN (3) with a status line, never CRITICAL (2).
      if (subcommandOf(argv) === "check") {
        const { unknownLine } = await import("./render/check.js");
        io.stdout.write(`${unknownLine(`bad usage: ${message}`)}\n`);
        return PLUGIN_UNKNOWN;
      }
      if (argv.includes("--json")) {
        const usage = usageError(message, "run the command with --help for its usage");
        io.stdout.write(`${JSON.stringify(errorJson(usage), null, 2)}\n`);
      }
      return EXIT.usage;
    }
    io.stderr.write(`${formatError(error)}\n`);
    return EXIT.internal;
  }
  return exitCode;
}
