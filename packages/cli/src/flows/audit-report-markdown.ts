import type { AuditReport } from "./audit-report.js";

const cell = (value: string): string => value.replace(/\|/g, "\\|").replace(/\n/g, " ");

const layers = (counts: Readonly<Record<string, number>>): string =>
  Object.entries(counts)
    .map(([kind, count]) => `${kind} ${String(count)}`)
    .join(", ") || "none";

/** The signed document a rendering was made from: its path and the SHA-256 of its exact bytes. */
export interface SignedSource {
  readonly jsonFile: string;
  /** `sha256:<hex>` of the JSON bytes the signature covers. */
  readonly sha256: string;
}

/**
 * A human rendering of the report. Only the JSON is signed: this file says so,
 * and names the SHA-256 of the JSON it was made from, so a reader can check
 * (`sha256sum FILE`) that the rendering belongs to the signed document.
 */
export function renderReportMarkdown(report: AuditReport, source: SignedSource): string {
  const { jsonFile } = source;
  const lines = [
    `# GitHub Connect cleanup audit: **${report.verdict.toUpperCase()}**`,
    "",
    `> This is a rendering, not the signed document. The signed report is \`${jsonFile}\` (${source.sha256}); its signature \`${jsonFile}.sig\` covers those JSON bytes only.`,
    "",
    `- tool: ${report.tool.name} ${report.tool.version}`,
    `- started ${report.startedAt}, finished ${report.finishedAt}`,
    `- app: ${report.subject.appSlug ?? "?"} (id ${report.subject.appId ?? "?"}) at ${report.subject.cloudUrl ?? "?"}`,
    `- detection method: ${report.detectionMethod}`,
    `- fingerprint sets: ${report.fingerprintSets.join(", ") || "none"} (from ${report.fingerprintSource})`,
    `- nodes: ${report.topology.note ?? `${String(report.topology.nodes)} from ${report.topology.source}`}`,
    `- scanned: ${report.totals.filesScanned} files, ${report.totals.bytesScanned} bytes, digest ${report.totals.scannedDigest}`,
    `- signed JSON: \`${jsonFile}\` (${source.sha256}) with \`${jsonFile}.sig\` (verify: \`openssl pkeyutl -verify -pubin -inkey audit-signing.pub -rawin -in ${jsonFile} -sigfile ${jsonFile}.sig\`)`,
    "",
    "## Locations",
    "",
    "| kind | location | result | method | files | bytes | layers decoded |",
    "| --- | --- | --- | --- | ---: | ---: | --- |",
    ...report.locations.map(
      (location) =>
        `| ${location.kind} | ${cell(location.name)} | ${location.result} | ${cell(location.method)} | ${String(location.filesScanned)} | ${String(location.bytesScanned)} | ${layers(location.layersDecoded)} |`,
    ),
    "",
    "## Findings",
    "",
    ...(report.findings.length === 0
      ? ["None."]
      : [
          "| location | path | member | form | encoding | set | recipients |",
          "| --- | --- | --- | --- | --- | --- | --- |",
          ...report.findings.map(
            (finding) =>
              `| ${cell(finding.location)} | ${cell(finding.path)} | ${cell(finding.member ?? "")} | ${finding.form} | ${finding.encoding ?? ""} | ${finding.fingerprintId} | ${cell((finding.recipients ?? []).join(", "))} |`,
          ),
        ]),
    "",
    "## Coverage gaps",
    "",
    ...(report.gaps.length === 0
      ? ["None."]
      : [
          "| location | path | reason |",
          "| --- | --- | --- |",
          ...report.gaps.map(
            (gap) =>
              `| ${cell(gap.location)} | ${cell(`${gap.path ?? ""}${gap.member ? `!${gap.member}` : ""}`)} | ${cell(gap.reason)} |`,
          ),
        ]),
    "",
    "## Known limits of the detection method",
    "",
    ...report.notChecked.filter((item) => item.kind === "limit").map((item) => `- ${item.reason}`),
    "",
  ];
  return lines.join("\n");
}
