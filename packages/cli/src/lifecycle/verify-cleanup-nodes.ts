import type { AgeAudit } from "@connect-ops/backup-hooks";
import { errnoCode, type ResidueMatcher } from "@connect-ops/connection-core";
import type { FanOutOptions, NodeProbe, NodeSpec, SshOptions } from "@connect-ops/replication";
import { lstat } from "node:fs/promises";
import { join } from "node:path";
import {
  digestLines,
  listingGaps,
  listRegularFiles,
  locationResult,
  type AuditCheck,
  type AuditFinding,
  type AuditGap,
} from "../flows/audit-report.js";
import type { LocationAudit } from "./verify-cleanup-cloud.js";
import { readNodeTree } from "./verify-cleanup-node-fetch.js";
import { toAuditFinding, toAuditGap } from "./verify-cleanup-scan.js";

function errorText(error: unknown): string {
  return error instanceof Error ? `${"code" in error ? `${String(error.code)}: ` : ""}${error.message}` : String(error);
}

/** The probe's verdict on the credential files themselves. */
function probeChecks(
  node: NodeSpec,
  probe: NodeProbe | undefined,
  findings: AuditFinding[],
  gaps: AuditGap[],
): AuditCheck {
  if (probe === undefined || probe.status === "failed" || probe.status === "unreachable") {
    const reason = `credential files not checked: node ${probe?.status ?? "not probed"}${probe?.error ? ` (${probe.error.code}: ${probe.error.message})` : ""}`;
    gaps.push({ location: node.name, path: node.path, reason });
    return { check: "credential files", result: "gap", detail: reason };
  }
  const present = [
    probe.sealedSha256 === null ? undefined : "credentials.age",
    probe.metaSha256 === null ? undefined : "meta.json",
  ].filter((name) => name !== undefined);
  for (const file of present)
    findings.push({
      location: node.name,
      path: join(node.path, file),
      form: "credential-file",
      fingerprintId: probe.keyFingerprint ?? "unknown",
      ...(probe.recipients.length > 0 ? { recipients: probe.recipients } : {}),
    });
  if (probe.tempFiles > 0)
    findings.push({ location: node.name, path: node.path, form: "temp-file", fingerprintId: "unknown" });
  const bad = present.length + probe.tempFiles;
  return {
    check: "credential files",
    result: bad > 0 ? "residue" : "ok",
    detail:
      bad > 0
        ? `${present.join(", ")}${probe.tempFiles > 0 ? ` and ${probe.tempFiles} temp file(s)` : ""} still there`
        : "credentials.age, meta.json and temp files are gone",
  };
}

/**
 * Every node: the replication probe (credential files, temps), then a residue
 * scan of its credential directory — read in place for a `local` node, read
 * over SSH into memory (never onto a disk) for an `ssh` node. A node that
 * cannot be reached or read, or a directory in it that cannot be listed, is a gap.
 */
export async function auditNodes(
  nodes: readonly NodeSpec[],
  ssh: SshOptions,
  matcher: ResidueMatcher,
  fanOut: FanOutOptions = {},
  age?: AgeAudit,
): Promise<LocationAudit[]> {
  if (nodes.length === 0) return [];
  const ageOption = age === undefined ? {} : { age };
  const { probeNodes } = await import("@connect-ops/replication");
  const { scanBuffers, scanPath } = await import("@connect-ops/backup-hooks");
  const probes = new Map((await probeNodes(nodes, { retries: 1, ...fanOut, ssh })).map((probe) => [probe.name, probe]));
  const audits: LocationAudit[] = [];
  for (const node of nodes) {
    const findings: AuditFinding[] = [];
    const gaps: AuditGap[] = [];
    const probe = probes.get(node.name);
    const checks: AuditCheck[] = [probeChecks(node, probe, findings, gaps)];
    let files = 0;
    let bytes = 0;
    let layersDecoded: Readonly<Record<string, number>> = {};
    let lines: readonly string[] = [];
    const reachable = probe !== undefined && probe.status !== "failed" && probe.status !== "unreachable";
    if (reachable && node.transport === "local") {
      // Only ENOENT is "does not exist"; on any other error the scan runs and reports its failure as a gap.
      const exists = await lstat(node.path).then(
        () => true,
        (error: unknown) => errnoCode(error) !== "ENOENT",
      );
      const scan = exists
        ? await scanPath(node.path, { matcher, ...ageOption }).catch((error: unknown) => error as Error)
        : undefined;
      const listing = await listRegularFiles(node.path);
      if (scan === undefined)
        checks.push({ check: "residue scan", result: "ok", detail: "the directory does not exist" });
      else if (scan instanceof Error) {
        gaps.push({ location: node.name, path: node.path, reason: `residue scan failed: ${errorText(scan)}` });
        checks.push({ check: "residue scan", result: "gap", detail: errorText(scan) });
      } else {
        findings.push(...scan.findings.map((finding) => toAuditFinding(node.name, finding)));
        gaps.push(...scan.gaps.map((gap) => toAuditGap(node.name, gap)));
        checks.push({
          check: "residue scan",
          result: scan.findings.length > 0 ? "residue" : scan.gaps.length > 0 ? "gap" : "ok",
          detail: `${scan.filesScanned} files, ${scan.bytesScanned} bytes`,
        });
        files = scan.filesScanned;
        bytes = scan.bytesScanned;
        layersDecoded = scan.layersDecoded;
        lines = listing.lines;
        gaps.push(...listingGaps(node.name, node.path, listing));
      }
    } else if (reachable) {
      try {
        const tree = await readNodeTree(node, ssh, ssh.connectTimeoutMs);
        for (const item of tree.unfetched) gaps.push({ location: node.name, path: item.path, reason: item.reason });
        if (!tree.absent && tree.files.length > 0) {
          const scan = await scanBuffers(tree.files, { matcher, ...ageOption });
          findings.push(...scan.findings.map((finding) => toAuditFinding(node.name, finding)));
          gaps.push(...scan.gaps.map((gap) => toAuditGap(node.name, gap)));
          files = scan.filesScanned;
          bytes = scan.bytesScanned;
          layersDecoded = scan.layersDecoded;
        }
        lines = tree.lines;
        checks.push({
          check: "residue scan",
          result: findings.length > 0 ? "residue" : gaps.length > 0 ? "gap" : "ok",
          detail: tree.absent
            ? "the directory does not exist"
            : `${String(files)} files, ${String(bytes)} bytes read over SSH into memory`,
        });
      } catch (error) {
        const reason = `residue scan not done: ${errorText(error)}`;
        gaps.push({ location: node.name, path: node.path, reason });
        checks.push({ check: "residue scan", result: "gap", detail: reason });
      }
    }
    audits.push({
      location: {
        kind: "node",
        name: node.name,
        path: node.transport === "ssh" ? `${node.user}@${node.host}:${node.port}:${node.path}` : node.path,
        method:
          node.transport === "ssh"
            ? "probe over SSH + files read (≤ 1 MiB each) over the channel and scanned in memory"
            : "probe + residue scan of the directory",
        result: locationResult(findings, gaps),
        checks,
        filesScanned: files,
        bytesScanned: bytes,
        layersDecoded,
        scannedDigest: digestLines(lines),
      },
      findings,
      gaps,
    });
  }
  return audits;
}
