import type { Finding, Gap, ScanResult } from "@connect-ops/backup-hooks";
import type { Command } from "commander";
import { Option } from "commander";
import type { CommandContext, CommandResult, CommandRunner } from "../context.js";
import { usageError } from "../errors.js";
import { EXIT } from "../exit-codes.js";
import { formatBytes } from "../flows/human-units.js";

export interface BackupScanOptions {
  readonly maxDepth?: string;
  readonly fingerprints?: string;
  readonly crossMounts?: boolean;
  readonly policy?: "include" | "redact";
}

export function parseMaxDepth(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const depth = Number(value);
  if (!/^\d+$/.test(value) || depth < 1 || depth > 32) {
    throw usageError(
      `--max-depth "${value}" is not a whole number from 1 to 32`,
      "each tar or gzip layer counts one; the default is 6",
    );
  }
  return depth;
}

function where(item: { path: string; member?: string | undefined }): string {
  return item.member === undefined ? item.path : `${item.path}!${item.member}`;
}

/** One finding as a line: place, offset, form and fingerprint id. It holds no secret by construction. */
export function describeFinding(finding: Finding): string {
  const form = `${finding.form}${finding.variant === undefined ? "" : ` ${finding.variant}`} (${finding.encoding})`;
  const links = finding.linkedPaths?.length ? `, also hard-linked as ${finding.linkedPaths.join(", ")}` : "";
  const sealedTo = finding.recipients?.length ? `, sealed to ${finding.recipients.join(", ")}` : "";
  return `  ${where(finding)} @${finding.offset}+${finding.length}  ${form}  ${finding.fingerprintId}${sealedTo}${links}`;
}

export function describeGap(gap: Gap): string {
  return `  gap: ${where(gap)}: ${gap.reason}`;
}

/** 0 clean, 1 findings, 3 gaps without findings (the scan cannot vouch for them). */
export function scanExitCode(result: ScanResult): typeof EXIT.ok | typeof EXIT.problemFound | typeof EXIT.incomplete {
  if (result.findings.length > 0) return EXIT.problemFound;
  return result.gaps.length > 0 ? EXIT.incomplete : EXIT.ok;
}

/** `--policy include`: sealed copies of the current generation, proved by hash, are what the policy keeps (not residue). */
async function applyScanPolicy(
  context: CommandContext,
  policy: BackupScanOptions["policy"],
  findings: Finding[],
): Promise<{ findings: Finding[]; accepted: Array<{ path: string; generation: number }> }> {
  if (policy !== "include") return { findings, accepted: [] };
  const { currentCopies } = await import("../wiring/backup.js");
  const { splitForIncludePolicy } = await import("../lifecycle/backup-scan.js");
  const { sha256OfFile } = await import("../flows/included-copies.js");
  return await splitForIncludePolicy(findings, await currentCopies(context), sha256OfFile);
}

export async function runBackupScanCommand(
  context: CommandContext,
  path: string,
  options: BackupScanOptions,
): Promise<CommandResult> {
  const maxDepth = parseMaxDepth(options.maxDepth);
  const { scanPorts } = await import("../wiring/backup.js");
  const { scanBackupPath } = await import("../lifecycle/backup-scan.js");
  const { result: scanned, fingerprintIds } = await scanBackupPath(await scanPorts(context, options.fingerprints), {
    path: context.resolvePath(path),
    typedPath: path,
    maxDepth,
    crossMounts: options.crossMounts === true,
  });
  const { findings, accepted } = await applyScanPolicy(context, options.policy, scanned.findings);
  const result = { ...scanned, findings };
  const exitCode = scanExitCode(result);
  const { recordResidue } = await import("../flows/residue-record.js");
  await recordResidue(context.globals.stateDir, context.resolvePath(path), result.findings);
  const summary = `Scanned ${result.filesScanned} files, ${formatBytes(result.bytesScanned)}, for ${fingerprintIds.join(", ")}`;
  const kept = accepted.map(
    (copy) => `  kept by the include policy: ${copy.path} (sealed copy of the current generation ${copy.generation})`,
  );
  const human =
    exitCode === EXIT.ok
      ? [`Clean: no trace of the Connect credentials in ${path}`, ...kept, `  ${summary}`]
      : [
          ...(result.findings.length > 0
            ? [
                `Found ${result.findings.length} trace(s) of the Connect credentials in ${path}:`,
                ...result.findings.map(describeFinding),
              ]
            : []),
          ...(result.gaps.length > 0
            ? [`${result.gaps.length} place(s) could not be checked:`, ...result.gaps.map(describeGap)]
            : []),
          ...kept,
          `  ${summary}`,
          result.findings.length > 0
            ? "Next: connect-ops backup redact SNAPSHOT (for each snapshot listed)"
            : "Fix the gaps (permissions, --max-depth) and scan again",
        ];
  return {
    exitCode,
    json: {
      findings: result.findings,
      ...(options.policy === "include" ? { policy: "include", accepted } : {}),
      gaps: result.gaps,
      filesScanned: result.filesScanned,
      bytesScanned: result.bytesScanned,
    },
    human,
    verdict: human[0],
  };
}

export function registerBackupScan(group: Command, run: CommandRunner): void {
  group
    .command("scan")
    .description(
      "find every trace of the Connect credentials (from fingerprints, never the secret); exit 0 clean, 1 found, 3 gaps",
    )
    .argument("<path>", "a backup data dir, a snapshot, or one file or archive")
    .option("--max-depth <n>", "archive nesting depth to open (each tar or gzip layer counts one; default 6)")
    .addOption(
      new Option(
        "--policy <policy>",
        "include: a sealed copy of the current generation (hash recorded by include) is not residue; redact (default): every trace is",
      ).choices(["include", "redact"]),
    )
    .option("--cross-mounts", "also walk other filesystems mounted inside the path (by default each is a gap)")
    .option(
      "--fingerprints <file>",
      "fingerprints to look for when this state dir has none (copy of <state>/vault/meta.json or journal/disconnect.json)",
    )
    .addHelpText(
      "after",
      "\nLooks in plain files, tar members and gzip streams, nested; findings name the member as\narchive.tar!inner/path. Fingerprints come from the vault, the disconnect journal and --fingerprints.\n\nExample (on the backup host, with meta.json copied from the appliance):\n  connect-ops backup scan /data/ghe-backup --fingerprints /root/connect-meta.json --json > scan.json",
    )
    .action((path: string, options: BackupScanOptions) =>
      run((context) => runBackupScanCommand(context, path, options)),
    );
}
