import { createHash, createPublicKey } from "node:crypto";
import type { AuditReport, ReportedLocation } from "./audit-report.js";
import { formatBytes } from "./human-units.js";

/** What the page says about the signed document it renders. */
export interface HtmlSource {
  /** The signed JSON file, as it will be named to the reader (the openssl line uses it). */
  readonly jsonFile: string;
  /** `sha256:<hex>` of the exact JSON bytes the signature covers. */
  readonly sha256: string;
  /** The signing public key, PEM (its fingerprint is shown; the key file is `audit-signing.pub`). */
  readonly publicKeyPem: string;
}

/** Every character that could open markup or an attribute is an entity: a hostile hostname or path stays text. */
export function escapeHtml(value: string | number | boolean | undefined): string {
  return String(value ?? "")
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

/** `SHA256:<base64>` of the public key's DER (SubjectPublicKeyInfo), as `openssl pkey -pubin -outform DER | sha256sum` would hash it. */
export function publicKeyFingerprint(publicKeyPem: string): string {
  const der = createPublicKey(publicKeyPem).export({ type: "spki", format: "der" });
  return `SHA256:${createHash("sha256").update(der).digest("base64").replace(/=+$/, "")}`;
}

const CSS = `
:root { color-scheme: light; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1b1f24; margin: 2rem auto; max-width: 1100px; padding: 0 1rem; }
h1 { font-size: 1.6rem; margin: 0 0 .5rem; } h2 { font-size: 1.15rem; margin: 1.6rem 0 .5rem; border-bottom: 1px solid #d0d7de; padding-bottom: .2rem; }
.verdict { display: inline-block; padding: .3rem .9rem; border-radius: 4px; font-weight: 700; letter-spacing: .04em; color: #fff; }
.verdict.clean { background: #1a7f37; } .verdict.residue { background: #cf222e; } .verdict.inconclusive { background: #9a6700; }
.notice { background: #f6f8fa; border-left: 4px solid #0969da; padding: .6rem .9rem; margin: 1rem 0; }
table { border-collapse: collapse; width: 100%; margin: .4rem 0; } th, td { border: 1px solid #d0d7de; padding: .3rem .5rem; text-align: left; vertical-align: top; }
th { background: #f6f8fa; } td.num { text-align: right; white-space: nowrap; } dl { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; margin: 0; }
dt { font-weight: 600; } dd { margin: 0; } code, .mono { font-family: ui-monospace, "SFMono-Regular", Menlo, monospace; font-size: .92em; word-break: break-all; }
.r-clean, .r-ok { color: #1a7f37; } .r-residue { color: #cf222e; font-weight: 700; } .r-gap { color: #9a6700; font-weight: 700; }
ul.checks { margin: 0; padding-left: 1.1rem; }
@media print {
  body { margin: 0; max-width: none; font-size: 10.5pt; } .notice { border-left-color: #000; }
  .verdict { color: #000 !important; border: 2px solid #000; background: none !important; }
  h2 { break-after: avoid; } tr, dl, .notice { break-inside: avoid; } a { color: inherit; text-decoration: none; }
  @page { size: A4; margin: 14mm; }
}`;

const row = (label: string, value: string | number | undefined): string =>
  `<dt>${escapeHtml(label)}</dt><dd>${value === undefined || value === "" ? "<em>not recorded</em>" : escapeHtml(value)}</dd>`;

const table = (headers: readonly string[], rows: readonly string[][], empty: string): string =>
  rows.length === 0
    ? `<p>${escapeHtml(empty)}</p>`
    : `<table><thead><tr>${headers.map((header) => `<th>${escapeHtml(header)}</th>`).join("")}</tr></thead><tbody>${rows
        .map((cells) => `<tr>${cells.join("")}</tr>`)
        .join("")}</tbody></table>`;

const td = (value: string | number | undefined, className?: string): string =>
  `<td${className === undefined ? "" : ` class="${className}"`}>${escapeHtml(value)}</td>`;

function bytesCell(bytes: number): string {
  return `<td class="num" title="${escapeHtml(bytes)} bytes">${escapeHtml(formatBytes(bytes))}<br><span class="mono">${escapeHtml(bytes)} B</span></td>`;
}

function layers(counts: Readonly<Record<string, number>>): string {
  return (
    Object.entries(counts)
      .map(([kind, count]) => `${kind} ${String(count)}`)
      .join(", ") || "none"
  );
}

function locationRow(location: ReportedLocation): string[] {
  const checks = location.checks
    .map(
      (check) =>
        `<li><span class="r-${escapeHtml(check.result)}">${escapeHtml(check.result)}</span> ${escapeHtml(check.check)}${check.detail === undefined ? "" : `: ${escapeHtml(check.detail)}`}</li>`,
    )
    .join("");
  return [
    td(location.kind),
    `<td>${escapeHtml(location.name)}${location.path === undefined ? "" : `<br><span class="mono">${escapeHtml(location.path)}</span>`}</td>`,
    td(location.result, `r-${location.result}`),
    td(location.method),
    td(location.filesScanned, "num"),
    bytesCell(location.bytesScanned),
    td(layers(location.layersDecoded)),
    `<td>${checks === "" ? "—" : `<ul class="checks">${checks}</ul>`}</td>`,
  ];
}

const where = (item: { path?: string | undefined; member?: string | undefined }): string =>
  `${item.path ?? ""}${item.member === undefined ? "" : `!${item.member}`}`;

/** The page's head: title, CSP (nothing may load), inline CSS. Shared by the estate page. */
export function htmlHead(title: string): string {
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>${escapeHtml(title)}</title>
<style>${CSS}</style></head><body>
`;
}

export { row as htmlRow, table as htmlTable, td as htmlCell };

/**
 * The sections of one cleanup report (verdict, subject, run, locations, findings, what was not
 * checked, disconnect proofs, signature). `idPrefix` keeps element ids unique when an estate page
 * renders several reports.
 */
export function reportSections(report: AuditReport, source: HtmlSource, idPrefix = ""): string {
  const { subject } = report;
  const keyFingerprint = publicKeyFingerprint(source.publicKeyPem);
  const opensslLine = `openssl pkeyutl -verify -pubin -inkey audit-signing.pub -rawin -in ${source.jsonFile} -sigfile ${source.jsonFile}.sig`;
  const limits = report.notChecked.filter((item) => item.kind === "limit");
  const gaps = report.notChecked.filter((item) => item.kind === "gap");
  const proofs = report.disconnectProofs ?? [];
  const verdict = report.verdict.toUpperCase();
  const id = (name: string): string => escapeHtml(`${idPrefix}${name}`);
  return `<h1>GitHub Connect cleanup audit</h1>
<p>Verdict: <span id="${id("verdict")}" class="verdict ${escapeHtml(report.verdict)}">${escapeHtml(verdict)}</span>
 — ${escapeHtml(report.findings.length)} finding(s), ${escapeHtml(report.gaps.length)} coverage gap(s)</p>
<div class="notice">This page is a rendering of the signed JSON report <code>${escapeHtml(source.jsonFile)}</code>, not the signed document.
Only the JSON is signed; its SHA-256 is <code id="${id("report-sha256")}">${escapeHtml(source.sha256)}</code> (check with <code>sha256sum ${escapeHtml(source.jsonFile)}</code>).</div>
<h2>Appliance and connection</h2><dl>
${row("Appliance hostname", subject.hostname)}${row("GHES version", subject.ghesVersion)}${row("Account", subject.account)}
${row("GitHub App", subject.appSlug === undefined ? undefined : `${subject.appSlug} (App id ${String(subject.appId ?? "?")})`)}
${row("App id", subject.appId)}${row("App key fingerprint", subject.keyFingerprint)}${row("Cloud", subject.cloudUrl)}
${row("Installation id", subject.installationId)}${row("Connection record id", subject.recordId)}</dl>
<h2>Audit run</h2><dl>
${row("Run by", report.ranBy === undefined ? undefined : `${report.ranBy.user} on ${report.ranBy.host}`)}
${row("Started", report.startedAt)}${row("Finished", report.finishedAt)}${row("Tool", `${report.tool.name} ${report.tool.version}`)}
${row("Detection method", report.detectionMethod)}
${row("Fingerprint sets", `${report.fingerprintSets.join(", ") || "none"} (from ${report.fingerprintSource})`)}
${row("Nodes", report.topology.note ?? `${String(report.topology.nodes)} from ${report.topology.source}`)}
${row("Scanned", `${String(report.totals.locations)} location(s), ${String(report.totals.filesScanned)} files, ${formatBytes(report.totals.bytesScanned)} (${String(report.totals.bytesScanned)} bytes)`)}
${row("Scanned digest", report.totals.scannedDigest)}</dl>
<h2>Locations: what was checked</h2>
${table(["kind", "location", "result", "method", "files", "bytes", "layers decoded", "checks"], report.locations.map(locationRow), "No location was audited.")}
<h2>Findings</h2>
${table(
  ["location", "path", "form", "encoding", "fingerprint set", "opened by"],
  report.findings.map((finding) => [
    td(finding.location),
    `<td class="mono">${escapeHtml(where(finding))}</td>`,
    td(finding.form, "r-residue"),
    td(finding.encoding),
    td(finding.fingerprintId),
    td((finding.recipients ?? []).join(", ")),
  ]),
  "None: no trace of the credentials was found where the audit looked.",
)}
<h2>What was not checked</h2>
<h3>Coverage gaps (places that could not be read)</h3>
${table(
  ["location", "path", "reason"],
  gaps.map((gap) => [td(gap.location), `<td class="mono">${escapeHtml(where(gap))}</td>`, td(gap.reason)]),
  "None.",
)}
<h3>Known limits of the detection method</h3>
${limits.length === 0 ? "<p>None listed.</p>" : `<ul>${limits.map((item) => `<li>${escapeHtml(item.reason)}</li>`).join("")}</ul>`}
<h2>Disconnect proofs</h2>
${table(
  ["credential", "request", "HTTP status", "at"],
  proofs.map((proof) => [
    td(proof.credential),
    `<td class="mono">${escapeHtml(proof.request)}</td>`,
    td(proof.status, "num"),
    td(proof.at),
  ]),
  "No disconnect proofs recorded (no disconnect journal on this state dir, or one written before proofs were kept).",
)}
<h2>Signature</h2><dl>
${row("Signed file", source.jsonFile)}${row("Signature file", `${source.jsonFile}.sig (raw Ed25519)`)}
${row("SHA-256 of the signed JSON", source.sha256)}${row("Signing public key fingerprint", keyFingerprint)}</dl>
<p>Verify the JSON with OpenSSL alone (the public key <code>audit-signing.pub</code> received out of band):</p>
<pre class="mono" id="${id("openssl")}">${escapeHtml(opensslLine)}</pre>
`;
}

/**
 * The auditor's copy of a cleanup report: one self-contained HTML page (inline CSS with print
 * rules, no script, no external asset) rendering the parsed signed report. It says that it is a
 * rendering and carries the SHA-256 of the signed JSON and the openssl line that verifies it.
 * Every value is HTML-escaped. An estate report renders its appliances through `reportSections`.
 */
export function renderReportHtml(report: AuditReport, source: HtmlSource): string {
  const title = `GitHub Connect cleanup audit: ${report.verdict.toUpperCase()} (${report.subject.hostname ?? report.subject.appSlug ?? "appliance"})`;
  return `${htmlHead(title)}${reportSections(report, source)}</body></html>
`;
}
