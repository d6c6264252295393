import { topologyFlags } from "../flows/topology-options.js";
import type { Command } from "commander";
import type { CommandContext, CommandResult, CommandRunner } from "../context.js";
import { usageError } from "../errors.js";
import type { ReplicateReport } from "../lifecycle/replicate.js";
import { withNodeFlags } from "./node-flags.js";

/** The flags as commander names them. */
export interface ReplicateOptions {
  readonly inventory?: string;
  readonly clusterConf?: string;
  readonly nodes?: string;
  readonly dryRun?: boolean;
  readonly concurrency?: string;
  readonly acceptNewHostKeys?: boolean;
  readonly identityFile?: string;
  readonly knownHosts?: string;
}

/** `--concurrency N`: a whole number from 1 to `max`. Throws `CLI_USAGE` naming the flag. */
export function parseConcurrency(raw: string | undefined, max: number): number | undefined {
  if (raw === undefined) return undefined;
  const value = /^\d+$/.test(raw.trim()) ? Number(raw.trim()) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < 1 || value > max) {
    throw usageError(
      `--concurrency must be a whole number from 1 to ${max}`,
      `pass e.g. --concurrency 4, or leave it out to reach every node at once (at most ${max})`,
    );
  }
  return value;
}

export async function runReplicateCommand(context: CommandContext, options: ReplicateOptions): Promise<CommandResult> {
  const { MAX_CONCURRENCY } = await import("@connect-ops/replication");
  const concurrency = parseConcurrency(options.concurrency, MAX_CONCURRENCY);
  const { replicateFromPrimary } = await import("../lifecycle/replicate.js");
  const { CONVERGED } = await import("../render/replicate.js");
  const { replicatePorts } = await import("../wiring/nodes.js");
  const { createProgress } = await import("../progress.js");
  const progress = createProgress({
    terminal: context.terminal,
    label: options.dryRun === true ? "probing" : "replicating",
  });
  let report: ReplicateReport;
  try {
    const ports = await replicatePorts(context, topologyFlags(options), {
      onStart: (names) => progress.start(names),
      onNodeResult: (row) => progress.nodeDone({ name: row.name, ok: CONVERGED.has(row.status) }),
    });
    report = await replicateFromPrimary(ports, {
      dryRun: options.dryRun === true,
      ...(concurrency === undefined ? {} : { concurrency }),
    });
  } finally {
    progress.finish();
  }
  const { renderReplicate } = await import("../render/replicate.js");
  return { ...renderReplicate(report), success: "replicate" };
}

export function registerReplicate(program: Command, run: CommandRunner): void {
  withNodeFlags(program.command("replicate"), {
    inventory: "inventory JSON listing the nodes (see docs/replication.md)",
    select: true,
    writes: true,
  })
    .description(
      "push the primary vault's sealed credentials (credentials.age + meta.json) to every HA replica and cluster node",
    )
    .option("--dry-run", "probe the nodes and report what would change; write nothing")
    .option("--concurrency <n>", "nodes in flight at once (default: all, at most 16)")
    .addHelpText(
      "after",
      [
        "",
        "Exit: 0 every node converged · 2 bad input, or a host key/login was refused (nothing sent to that node)",
        "      · 3 some node failed, was unreachable or holds a newer generation (re-run; converged nodes are not touched)",
        "",
        "Example (after `connect-ops token --force`, from the primary):",
        "  connect-ops replicate --inventory /data/user/common/connect-ops/inventory.json --dry-run",
        "  connect-ops replicate --inventory /data/user/common/connect-ops/inventory.json --nodes ghes-replica",
        "  connect-ops --json replicate --cluster-conf /data/user/common/cluster.conf --identity-file ~/.ssh/id_ed25519",
      ].join("\n"),
    )
    .action((options: ReplicateOptions) => run((context) => runReplicateCommand(context, options)));
}
