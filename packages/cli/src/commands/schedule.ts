import type { Command } from "commander";
import { Option } from "commander";
import type { CommandContext, CommandResult, CommandRunner } from "../context.js";
import { usageError } from "../errors.js";
import { EXIT } from "../exit-codes.js";
import type { ScheduleRequest } from "../flows/schedule-units.js";

export interface ScheduleOptions {
  readonly out?: string;
  readonly user?: string;
  readonly inventory?: string;
  readonly dataDir?: string;
  readonly policy?: "include" | "redact";
  readonly textfileDir: string;
  readonly bin?: string;
}

/** How this very process was started: the single executable, or node and the script. */
async function selfCommand(): Promise<string[]> {
  const { realpathSync } = await import("node:fs");
  const sea = await import("node:sea").catch(() => undefined);
  if (sea?.isSea() === true) return [process.execPath];
  const script = process.argv[1];
  return script === undefined ? [process.execPath] : [process.execPath, realpathSync(script)];
}

async function scheduleRequest(context: CommandContext, options: ScheduleOptions): Promise<ScheduleRequest> {
  const { existsSync } = await import("node:fs");
  const { userInfo } = await import("node:os");
  const existing = (flag: string, path: string | undefined): string | undefined => {
    if (path === undefined) return undefined;
    const absolute = context.resolvePath(path);
    if (!existsSync(absolute))
      throw usageError(`${flag} ${path}: no such file or directory`, `pass the path the jobs will use`);
    return absolute;
  };
  const user = options.user ?? userInfo().username;
  if (!/^[a-z_][a-z0-9_-]{0,31}$/.test(user))
    throw usageError(`--user "${user}" is not a user name`, "pass the account the jobs run as, e.g. --user admin");
  const inventory = existing("--inventory", options.inventory);
  const dataDir = existing("--data-dir", options.dataDir);
  return {
    bin: options.bin === undefined ? await selfCommand() : [existing("--bin", options.bin) ?? options.bin],
    stateDir: context.globals.stateDir,
    user,
    ...(inventory === undefined ? {} : { inventory }),
    ...(dataDir === undefined ? {} : { dataDir }),
    ...(options.policy === undefined ? {} : { policy: options.policy }),
    textfileDir: context.resolvePath(options.textfileDir),
  };
}

export async function runScheduleSystemd(context: CommandContext, options: ScheduleOptions): Promise<CommandResult> {
  if (options.out === undefined) throw usageError("schedule systemd needs --out DIR", "e.g. --out /etc/systemd/system");
  const request = await scheduleRequest(context, options);
  const { systemdUnits } = await import("../flows/schedule-units.js");
  const { atomicWriteFile } = await import("@connect-ops/credential-vault");
  // Not mkdir({ recursive }): it never returns for a --out under /proc (see makeDirectories).
  const { makeDirectories } = await import("@connect-ops/connection-core");
  const path = await import("node:path");
  const out = context.resolvePath(options.out);
  const units = systemdUnits(request);
  for (const unit of units) {
    const file = path.join(out, unit.name);
    await makeDirectories(path.dirname(file), 0o755);
    await atomicWriteFile(file, Buffer.from(unit.content), { mode: 0o644 });
  }
  const timers = units.filter((unit) => unit.name.endsWith(".timer")).map((unit) => unit.name);
  return {
    exitCode: EXIT.ok,
    json: { out, units: units.map((unit) => unit.name), timers },
    human: [
      `Wrote ${units.length} files to ${out}:`,
      ...units.map((unit) => `  ${unit.name}`),
      "Next:",
      `  systemd-analyze verify ${units
        .filter((unit) => !unit.name.includes("/"))
        .map((unit) => path.join(out, unit.name))
        .join(" ")}`,
      "  systemctl daemon-reload",
      `  systemctl enable --now ${timers.join(" ")}`,
    ],
  };
}

export async function runScheduleCron(context: CommandContext, options: ScheduleOptions): Promise<CommandResult> {
  const request = await scheduleRequest(context, options);
  const { crontab } = await import("../flows/schedule-units.js");
  const text = crontab(request);
  return { exitCode: EXIT.ok, json: { crontab: text }, human: text.trimEnd().split("\n") };
}

function jobOptions(command: Command): Command {
  return command
    .option("--user <user>", "the account the jobs run as (default: the current user)")
    .option(
      "--inventory <file>",
      "also replicate after each token refresh, and check failover readiness every 15 minutes",
    )
    .option("--data-dir <dir>", "also apply the backup policy after each backup (GHE_DATA_DIR)")
    .addOption(
      new Option("--policy <policy>", "the backup hook's policy (default: the hook's, redact)").choices([
        "include",
        "redact",
      ]),
    )
    .option(
      "--textfile-dir <dir>",
      "node_exporter's textfile directory for the metrics job",
      "/var/lib/prometheus/node-exporter",
    )
    .option("--bin <path>", "the executable the jobs run (default: the one running now)");
}

export function registerSchedule(program: Command, run: CommandRunner): void {
  const group = program
    .command("schedule")
    .description(
      "generate the scheduled jobs (token refresh + replicate, failover-check, metrics, backup hook) for systemd or cron",
    )
    .addHelpText(
      "after",
      "\nExample:\n  connect-ops schedule systemd --out /etc/systemd/system --user admin --inventory inventory.json",
    );
  jobOptions(
    group
      .command("systemd")
      .description("write hardened .service and .timer units (and a ghe-backup drop-in for the hook) to --out")
      .requiredOption("--out <dir>", "where to write the units, e.g. /etc/systemd/system"),
  )
    .addHelpText(
      "after",
      [
        "",
        "Jobs: token refresh (and replicate with --inventory) every 5 min · failover-check every 15 min (with --inventory)",
        "      · metrics every minute · backup hook after each ghe-backup run (with --data-dir).",
        "Exit: 0 written · 2 bad input (a path that does not exist, a bad --user)",
        "",
        "Example:",
        "  connect-ops schedule systemd --out /etc/systemd/system --user admin --inventory /data/user/common/connect-ops/inventory.json",
      ].join("\n"),
    )
    .action((options: ScheduleOptions) => run((context) => runScheduleSystemd(context, options)));
  jobOptions(group.command("cron").description("print the same jobs as /etc/cron.d lines (only errors are mailed)"))
    .addHelpText(
      "after",
      "\nExample:\n  connect-ops schedule cron --user admin --inventory inventory.json > /etc/cron.d/connect-ops",
    )
    .action((options: ScheduleOptions) => run((context) => runScheduleCron(context, options)));
}
