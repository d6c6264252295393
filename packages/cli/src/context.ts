import type { Command } from "commander";
import { homedir } from "node:os";
import { isAbsolute, join, resolve } from "node:path";
import type { Logger } from "pino";
import type { ExitCode } from "./exit-codes.js";
import type { CliIO } from "./io.js";
import { createLogger } from "./logger.js";
import { createTerminal, type Terminal } from "./terminal.js";

export interface GlobalOptions {
  readonly stateDir: string;
  readonly configPath: string | undefined;
  /** `--ca-file`: extra CA certificates for cloud requests (read when a cloud request is made). */
  readonly caFile: string | undefined;
  readonly json: boolean;
  readonly logLevel: string;
  readonly progress: boolean;
  readonly color: boolean;
  /** `--quiet`: errors and the verdict only (nothing on success for a command without one); no progress. */
  readonly quiet: boolean;
}

/** What a command returns: the exit code, the `--json` document, and the human lines. */
export interface CommandResult {
  readonly exitCode: ExitCode;
  readonly json: unknown;
  readonly human: readonly string[];
  /** The one line `--quiet` prints on success (`Verdict: CLEAN …`, `Ready: …`); a command without one prints nothing. */
  readonly verdict?: string;
  /** A scheduled command whose exit 0 is recorded for `metrics` (connect_ops_last_success_timestamp_seconds). */
  readonly success?: "token" | "replicate" | "failover-check" | "backup-hook" | "verify-cleanup";
}

export interface CommandContext {
  readonly io: CliIO;
  readonly globals: GlobalOptions;
  readonly logger: () => Promise<Logger>;
  /** stderr as one writer: the logs and the live progress line share it (see terminal.ts). */
  readonly terminal: Terminal;
  /** Resolves a path flag against the caller's working directory. */
  readonly resolvePath: (path: string) => string;
}

export type CommandRunner = (action: (context: CommandContext) => Promise<CommandResult>) => Promise<void>;

/** Default state dir: $CONNECT_OPS_STATE_DIR, else $XDG_STATE_HOME/connect-ops, else ~/.local/state/connect-ops. */
export function defaultStateDir(env: CliIO["env"]): string {
  if (env.CONNECT_OPS_STATE_DIR) return env.CONNECT_OPS_STATE_DIR;
  const base =
    env.XDG_STATE_HOME && isAbsolute(env.XDG_STATE_HOME)
      ? env.XDG_STATE_HOME
      : join(env.HOME ?? homedir(), ".local", "state");
  return join(base, "connect-ops");
}

export function readGlobals(program: Command, io: CliIO): GlobalOptions {
  const options = program.opts<{
    stateDir?: string;
    config?: string;
    caFile?: string;
    json?: boolean;
    logLevel?: string;
    progress?: boolean;
    verbose?: boolean;
    quiet?: boolean;
  }>();
  const quiet = options.quiet === true;
  const level = options.verbose
    ? "debug"
    : (options.logLevel ?? io.env.CONNECT_OPS_LOG_LEVEL ?? (quiet ? "error" : "warn"));
  return {
    stateDir: resolve(io.cwd, options.stateDir ?? defaultStateDir(io.env)),
    configPath: options.config === undefined ? undefined : resolve(io.cwd, options.config),
    caFile: options.caFile === undefined ? undefined : resolve(io.cwd, options.caFile),
    json: options.json === true,
    logLevel: level,
    progress: options.progress !== false && !quiet && io.isTTY,
    color: io.isTTY && io.env.NO_COLOR === undefined,
    quiet,
  };
}

export function createContext(program: Command, io: CliIO): CommandContext {
  const globals = readGlobals(program, io);
  let logger: Promise<Logger> | undefined;
  const terminal = createTerminal({ stream: io.stderr, live: globals.progress, color: globals.color });
  return {
    io,
    globals,
    terminal,
    // On a terminal the logs are lines a person reads, written through the terminal so they never land in the live line.
    logger: () => (logger ??= createLogger(globals.logLevel, terminal, { human: io.isTTY })),
    resolvePath: (path) => resolve(io.cwd, path),
  };
}
