import type { AuditReport } from "./audit-report.js";

const cell = (value: string): string => value.replace(/\|/g, "\\|").replace(/\n/g, " ");

/** A human rendering of the report. Only the JSON is signed; this file points to it. */
export function renderReportMarkdown(report: AuditReport, jsonFile: string): string {
  const lines = [
    `# GitHub Connect cleanup audit: **${report.verdict.toUpperCase()}**`,
    "",
    `- tool: ${report.tool.name} ${report.tool.version}`,
    `- started ${report.startedAt}, finished ${report.finishedAt}`,
    `- app: ${report.subject.appSlug ?? "?"} (id ${report.subject.appId ?? "?"}) at ${report.subject.cloudUrl ?? "?"}`,
    `- fingerprint sets: ${report.fingerprintSets.join(", ") || "none"}`,
    `- scanned: ${report.totals.filesScanned} files, ${report.totals.bytesScanned} bytes, digest ${report.totals.scannedDigest}`,
    `- signed JSON: \`${jsonFile}\` with \`${jsonFile}.sig\` (verify: \`openssl pkeyutl -verify -pubin -inkey audit-signing.pub -rawin -in ${jsonFile} -sigfile ${jsonFile}.sig\`)`,
    "",
    "## Locations",
    "",
    "| kind | location | result | method | files | bytes |",
    "| --- | --- | --- | --- | ---: | ---: |",
    ...report.locations.map(
      (location) =>
        `| ${location.kind} | ${cell(location.name)} | ${location.result} | ${cell(location.method)} | ${location.filesScanned} | ${location.bytesScanned} |`,
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
  ];
  return lines.join("\n");
}
