import { optionalTopologyFlags } from "../flows/topology-options.js";
import { withRelativeTime } from "../flows/human-units.js";
import type { Command } from "commander";
import type { CommandContext, CommandResult, CommandRunner } from "../context.js";
import { EXIT, type ExitCode } from "../exit-codes.js";
import type { NodeStatus } from "../lifecycle/node-status.js";
import { withNodeFlags } from "./node-flags.js";

export interface StatusOptions {
  readonly offline?: boolean;
  readonly inventory?: string;
  readonly clusterConf?: string;
  readonly nodes?: string;
  readonly identityFile?: string;
  readonly knownHosts?: string;
}

export async function runStatusCommand(context: CommandContext, options: StatusOptions): Promise<CommandResult> {
  const [{ readStatus }, { statusPorts }] = await Promise.all([
    import("../lifecycle/status.js"),
    import("../wiring/nodes.js"),
  ]);
  const topology = optionalTopologyFlags(options);
  const status = await readStatus(await statusPorts(context, topology), { offline: options.offline === true });
  const drifted = status.cloud.drift.length > 0;
  const human = status.connected
    ? [
        `Connected: ${status.record?.hostname ?? "?"} → ${status.record?.account.type}:${status.record?.account.login} at ${status.cloud.url}`,
        `  vault       generation ${status.vault.generation}, key ${status.vault.keyFingerprint}`,
        ...status.vault.retiringKeyFingerprints.map(
          (fingerprint) =>
            `  retiring    key ${fingerprint} (delete it on the App's settings page, then rotate-key --finish)`,
        ),
        `  token       expires ${status.token.expiresAt === null ? "-" : withRelativeTime(status.token.expiresAt, context.io.now())}`,
        status.cloud.checked
          ? drifted
            ? `  cloud       DRIFT: ${status.cloud.drift.map((item) => `${item.field} local=${item.local} cloud=${item.cloud}`).join("; ")}`
            : "  cloud       the cloud's connection record matches this appliance"
          : "  cloud       not checked (--offline)",
      ]
    : [`Not connected: no credentials are sealed in ${status.vault.path}`];
  let exitCode: ExitCode = drifted ? EXIT.problemFound : EXIT.ok;
  if (status.nodes !== undefined) {
    const { nodeStatusExitCode } = await import("../lifecycle/node-status.js");
    const nodesExit = nodeStatusExitCode(status.nodes);
    if (exitCode === EXIT.ok) exitCode = nodesExit;
    human.push(...(await nodeLines(status.nodes)));
  }
  return { exitCode, json: status, human };
}

async function nodeLines(nodes: readonly NodeStatus[]): Promise<string[]> {
  const { renderTable } = await import("../node-table.js");
  const { hasNodeDrift } = await import("../lifecycle/node-status.js");
  const table = renderTable(
    ["  NODE", "ROLE", "STATUS", "GENERATION", "KEY", "DRIFT"],
    nodes.map((node) => [
      `  ${node.name}`,
      node.role,
      node.status,
      node.generation === null ? "-" : String(node.generation),
      node.keyFingerprint ?? "-",
      node.drift,
    ]),
  );
  const errors = nodes.flatMap((node) =>
    node.error === undefined
      ? []
      : [
          `  ${node.name}: error[${node.error.code}]: ${node.error.message}`,
          ...(node.error.hint === undefined ? [] : [`    → ${node.error.hint}`]),
        ],
  );
  const drifted = nodes.filter((node) => node.drift !== "in-sync" && node.drift !== "unknown").map((node) => node.name);
  const summary = hasNodeDrift(nodes)
    ? `  nodes       DRIFT on ${drifted.join(", ")}: run \`connect-ops replicate\` with the same topology to bring them to this vault's generation`
    : nodes.every((node) => node.drift === "in-sync")
      ? `  nodes       all ${nodes.length} hold this vault's generation`
      : "  nodes       some nodes could not be read (see above)";
  return ["", ...table, ...errors, summary];
}

export function registerStatus(program: Command, run: CommandRunner): void {
  withNodeFlags(program.command("status"), {
    inventory: "also probe the nodes of this inventory: generation, key fingerprint, drift",
    select: true,
    writes: false,
  })
    .description(
      "show the connection, the vault and the token; compare the cloud's record (and with --inventory every node) with this appliance",
    )
    .option("--offline", "do not contact the cloud")
    .addHelpText(
      "after",
      [
        "",
        "Exit: 0 in sync · 1 drift (cloud record, or a node behind/ahead/diverged/missing) · 2 bad input or a refused",
        "      host key/login · 3 a node could not be read (nothing drifted among the others)",
        "",
        "Example:",
        "  connect-ops status --offline --json",
        "  connect-ops status --inventory /data/user/common/connect-ops/inventory.json",
      ].join("\n"),
    )
    .action((options: StatusOptions) => run((context) => runStatusCommand(context, options)));
}
