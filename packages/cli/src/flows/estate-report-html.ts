import {
  escapeHtml,
  htmlCell,
  htmlHead,
  htmlRow,
  htmlTable,
  reportSections,
  type HtmlSource,
} from "./audit-report-html.js";
import { renderableReport } from "./audit-report-render-file.js";
import type { EstateApplianceEntry, EstateReport } from "./estate-report.js";

/** One appliance's row: its verdict as the estate judged it (signature checked against the estate file's key). */
function applianceRow(entry: EstateApplianceEntry): string[] {
  return [
    htmlCell(entry.name),
    htmlCell(entry.expected ? "yes" : "no"),
    htmlCell(
      entry.verdict,
      `r-${entry.verdict === "clean" ? "clean" : entry.verdict === "residue" ? "residue" : "gap"}`,
    ),
    htmlCell(entry.reason ?? ""),
    htmlCell(entry.findings ?? "", "num"),
    htmlCell(entry.gaps ?? "", "num"),
    htmlCell(entry.finishedAt ?? ""),
    `<td class="mono">${escapeHtml(entry.embedded?.sha256 ?? "")}<br>${escapeHtml(entry.publicKeyFingerprint)}</td>`,
  ];
}

/** The embedded report of a verified appliance, rendered as its own section (ids prefixed with the appliance). */
function applianceSection(entry: EstateApplianceEntry): string {
  if (entry.embedded === undefined) return "";
  let parsed: unknown;
  try {
    parsed = JSON.parse(entry.embedded.text);
  } catch {
    parsed = undefined;
  }
  const report = renderableReport(parsed);
  if (report === undefined) return "";
  const source: HtmlSource = {
    jsonFile: entry.reportFile ?? `${entry.name}.json`,
    sha256: entry.embedded.sha256,
    publicKeyPem: entry.publicKey,
  };
  return `<section class="appliance" id="appliance-${escapeHtml(entry.name)}">
<h2>Appliance ${escapeHtml(entry.name)}</h2>
${reportSections(report, source, `${entry.name}-`)}</section>
`;
}

/**
 * The auditor's copy of an estate report: one self-contained page (the cleanup report's CSS, no
 * script, no external asset) with the estate verdict, every appliance's verdict, the gaps, and each
 * embedded appliance report rendered in full. It says that it is a rendering of the signed estate JSON
 * and carries that JSON's SHA-256 and the openssl line that verifies it. Every value is HTML-escaped.
 */
export function renderEstateHtml(report: EstateReport, source: HtmlSource): string {
  const verdict = report.verdict.toUpperCase();
  const opensslLine = `openssl pkeyutl -verify -pubin -inkey estate-signing.pub -rawin -in ${source.jsonFile} -sigfile ${source.jsonFile}.sig`;
  return `${htmlHead(`GitHub Connect estate audit: ${verdict} (${report.estate})`)}<h1>GitHub Connect estate audit: ${escapeHtml(report.estate)}</h1>
<p>Estate verdict: <span id="verdict" class="verdict ${escapeHtml(report.verdict)}">${escapeHtml(verdict)}</span>
 — ${escapeHtml(report.totals.clean)} of ${escapeHtml(report.totals.expected)} expected appliance(s) clean, ${escapeHtml(report.totals.residue)} with residue, ${escapeHtml(report.gaps.length)} gap(s)</p>
<div class="notice">This page is a rendering of the signed JSON estate report <code>${escapeHtml(source.jsonFile)}</code>, not the signed document.
Only the JSON is signed; its SHA-256 is <code id="report-sha256">${escapeHtml(source.sha256)}</code>. CLEAN needs every expected appliance present, its report's signature valid against the key the estate file lists, and that report CLEAN.</div>
<h2>Appliances</h2>
${htmlTable(["appliance", "expected", "verdict", "why", "findings", "gaps", "audit finished", "report SHA-256 / signing key"], report.appliances.map(applianceRow), "The estate lists no appliance.")}
<h2>Gaps</h2>
${htmlTable(
  ["appliance", "reason"],
  report.gaps.map((gap) => [htmlCell(gap.appliance), htmlCell(gap.reason)]),
  "None.",
)}
${report.unlisted.length === 0 ? "" : `<p>Reports in the reports dir that the estate file does not list (not merged): ${escapeHtml(report.unlisted.join(", "))}</p>`}
<h2>Estate report</h2><dl>
${htmlRow("Created", report.createdAt)}${htmlRow("Tool", `${report.tool.name} ${report.tool.version}`)}
${htmlRow("SHA-256 of the signed JSON", source.sha256)}${htmlRow("Signing public key fingerprint", report.signer.publicKeyFingerprint)}</dl>
<pre class="mono" id="openssl">${escapeHtml(opensslLine)}</pre>
${report.appliances.map(applianceSection).join("")}</body></html>
`;
}
