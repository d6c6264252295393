import type { Command } from "commander";
import type { CommandContext, CommandResult, CommandRunner } from "../context.js";
import { usageError } from "../errors.js";
import { collect } from "./backup-include.js";
import { topologyFlags, type TopologyOptions } from "../flows/topology-options.js";
import { withNodeFlags } from "./node-flags.js";

/** The flags as commander names them. */
export interface RotateKeyOptions extends TopologyOptions {
  readonly newKey?: string;
  readonly finish?: boolean;
  readonly dataDir?: string;
  readonly backupConfig?: string;
  readonly backupPolicy?: string;
  readonly recipient?: string[];
  readonly recipientsFile?: string;
}

export async function runRotateKeyCommand(context: CommandContext, options: RotateKeyOptions): Promise<CommandResult> {
  if ((options.newKey === undefined) === (options.finish !== true)) {
    throw usageError(
      "pass exactly one of --new-key FILE and --finish",
      "start with `rotate-key --new-key FILE`; after deleting the old key on the settings page, run `rotate-key --finish`",
    );
  }
  const withTopology =
    options.inventory !== undefined || options.clusterConf !== undefined || options.nodes !== undefined;
  const { rotateKeyPorts } = await import("../wiring/rotate.js");
  const ports = await rotateKeyPorts(context, {
    ...(withTopology ? { topology: topologyFlags(options) } : {}),
    ...(options.dataDir === undefined ? {} : { dataDir: options.dataDir }),
    ...(options.backupConfig === undefined ? {} : { backupConfig: options.backupConfig }),
    ...(options.backupPolicy === undefined ? {} : { backupPolicy: options.backupPolicy }),
    ...(options.recipient === undefined ? {} : { recipient: options.recipient }),
    ...(options.recipientsFile === undefined ? {} : { recipientsFile: options.recipientsFile }),
  });
  const render = await import("../render/rotate-key.js");
  if (options.newKey === undefined) {
    const { finishKeyRotation } = await import("../lifecycle/rotate-key-finish.js");
    return render.renderFinishRotation(await finishKeyRotation(ports));
  }
  const { rotateAppKey } = await import("../lifecycle/rotate-key.js");
  return render.renderRotateKey(
    await rotateAppKey(ports, { newKeyFile: options.newKey, newKeyPath: context.resolvePath(options.newKey) }),
  );
}

export function registerRotateKey(program: Command, run: CommandRunner): void {
  withNodeFlags(program.command("rotate-key"), {
    inventory: "push the new generation to the nodes of this inventory and verify each",
    select: false,
    writes: true,
  })
    .description(
      "rotate the GitHub App's private key without downtime: prove the new key, seal it, mint, replicate; --finish drops the old one",
    )
    .option("--new-key <file>", "the new PEM private key, generated on the App's settings page")
    .option("--finish", "after the old key was deleted on the settings page: prove it is refused (401), then drop it")
    .option("--data-dir <dir>", "backup-utils data dir whose newest snapshot gets the new generation")
    .option("--backup-config <file>", "backup-utils backup.config naming GHE_DATA_DIR instead")
    .option("--backup-policy <policy>", "include: seal the new generation into the newest snapshot (default: redact)")
    .option(
      "--recipient <age1…>",
      "backup recipient of the included copy (repeatable); default: config backupRecipients",
      collect,
      [],
    )
    .option("--recipients-file <file>", "backup recipients, one age1… per line")
    .addHelpText(
      "after",
      [
        "",
        "On github.com there is no API for App keys: an owner generates the new key on the App's settings page",
        "(Private keys → Generate a private key) and, after rotate-key, deletes the old one there.",
        "The new key is proven (GET /app with its JWT must answer this app id) before anything is written;",
        "a file that is not a PEM key, another App's key or the active key exits 2 with nothing changed.",
        "",
        "Exit: 3 the new key is active everywhere and a person's step is pending (delete the old key, fingerprint",
        "      printed, then --finish), or a node did not converge (re-run) · 0 --finish proved the old key refused",
        "      and removed it · 3 --finish found the old key still accepted (200: it is kept) · 2 bad input",
        "",
        "Example:",
        "  connect-ops rotate-key --new-key ./connect.2026-12-01.private-key.pem --inventory inventory.json \\",
        "    --data-dir /data/backup --backup-policy include",
        "  connect-ops rotate-key --finish --inventory inventory.json --data-dir /data/backup --backup-policy include",
      ].join("\n"),
    )
    .action((options: RotateKeyOptions) => run((context) => runRotateKeyCommand(context, options)));
}
