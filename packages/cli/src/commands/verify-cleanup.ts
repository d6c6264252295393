import type { Command } from "commander";
import { topologyFlags, type TopologyOptions } from "../flows/topology-options.js";
import type { CommandContext, CommandResult, CommandRunner } from "../context.js";
import { usageError } from "../errors.js";
import { withNodeFlags } from "./node-flags.js";

/** The flags as commander names them. */
export interface VerifyCleanupOptions extends TopologyOptions {
  readonly fingerprints?: string;
  readonly dataDir?: readonly string[];
  readonly report?: string;
  readonly format?: string;
  readonly crossMounts?: boolean;
  readonly unreachableCopies?: string;
  readonly html?: string;
}

export async function runVerifyCleanupCommand(
  context: CommandContext,
  options: VerifyCleanupOptions,
): Promise<CommandResult> {
  const format = options.format ?? "json";
  if (format !== "json" && format !== "md")
    throw usageError(
      `--format must be json or md, not "${format}"`,
      "the JSON report is always written and signed; md adds FILE.md for humans",
    );
  if (format === "md" && options.report === undefined)
    throw usageError("--format md needs --report FILE", "pass --report audit.json --format md");
  if (options.html !== undefined && options.report === undefined)
    throw usageError(
      "--html needs --report FILE",
      "the HTML page renders the signed JSON report: pass --report audit.json --html audit.html",
    );
  const { auditPorts } = await import("../wiring/disconnect.js");
  const { auditCleanup } = await import("../lifecycle/audit-cleanup.js");
  const { ports, request } = await auditPorts(context, {
    topology: topologyFlags(options),
    dataDirs: options.dataDir ?? [],
    fingerprintsFile: options.fingerprints,
    unreachableCopies: options.unreachableCopies,
    format,
    ...(options.report === undefined ? {} : { reportFile: options.report }),
    ...(options.html === undefined ? {} : { htmlFile: options.html }),
  });
  const outcome = await auditCleanup(ports, { ...request, crossMounts: options.crossMounts === true });
  const { renderAudit } = await import("../render/verify-cleanup.js");
  return { ...renderAudit(outcome), success: "verify-cleanup" };
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

export function registerVerifyCleanup(program: Command, run: CommandRunner): void {
  withNodeFlags(program.command("verify-cleanup"), {
    inventory:
      "the nodes to check (docs/replication.md); without it, a standalone appliance (nodes the disconnect recorded are still audited)",
    select: false,
    writes: false,
  })
    .description(
      "audit that the credentials are gone everywhere (cloud, primary, nodes, snapshots); exit 0 clean, 1 residue, 3 inconclusive",
    )
    .option("--data-dir <dir>", "a backup data dir whose snapshots are scanned (repeatable)", collect)
    .option("--report <file>", "write the signed JSON report here and its raw Ed25519 signature to FILE.sig")
    .option("--format <format>", "json (default) or md (also writes FILE.md)")
    .option(
      "--html <file>",
      "also write a self-contained HTML rendering of the signed report (prints to PDF; needs --report)",
    )
    .option("--cross-mounts", "also walk other filesystems mounted inside the data dirs (by default each is a gap)")
    .option(
      "--fingerprints <file>",
      "fingerprints to look for, from `connect-ops fingerprints export` (an audit off the appliance: the primary is then a gap)",
    )
    .option(
      "--unreachable-copies <file>",
      "copies the audit cannot reach (one SHA-256 or written path a line): after `shred`, covered by its attestation",
    )
    .addHelpText(
      "after",
      "\nUses only the secret-free fingerprints kept by disconnect; set CONNECT_OPS_CLOUD_TOKEN to check the connection record.\nAudits the data dirs, nodes and snapshots given and every one the disconnect journal recorded.\nVerify a report: openssl pkeyutl -verify -pubin -inkey <state>/audit-signing.pub -rawin -in FILE -sigfile FILE.sig\n\nExample:\n  connect-ops verify-cleanup --inventory nodes.json --data-dir /data/backup-utils/data --report audit.json --format md",
    )
    .action((options: VerifyCleanupOptions) => run((context) => runVerifyCleanupCommand(context, options)));
}
