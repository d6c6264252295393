import { generateKeyPairSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { AuditReport } from "./audit-report.js";
import { escapeHtml, publicKeyFingerprint, renderReportHtml } from "./audit-report-html.js";

const EVIL = `evil"><script>alert(1)</script><img src=x onerror=alert(2)>`;
const publicKeyPem = generateKeyPairSync("ed25519").publicKey.export({ type: "spki", format: "pem" }).toString();

const report: AuditReport = {
  format: "connect-ops/cleanup-report@2",
  tool: { name: "connect-ops", version: "1.2.3" },
  detectionMethod: "method-1",
  startedAt: "2026-01-01T00:00:00.000Z",
  finishedAt: "2026-01-01T00:01:00.000Z",
  verdict: "residue",
  fingerprintSets: ["set-1"],
  fingerprintSource: "state dir /s",
  subject: { appId: 7, appSlug: EVIL, hostname: EVIL, ghesVersion: EVIL, account: EVIL, keyFingerprint: "SHA256:k" },
  topology: { source: EVIL, nodes: 1, recordedNodes: 0 },
  totals: { locations: 1, filesScanned: 2, bytesScanned: 3 * 1024 * 1024, scannedDigest: "sha256:d" },
  locations: [
    {
      kind: "snapshot",
      name: EVIL,
      path: `/data/${EVIL}`,
      method: EVIL,
      result: "residue",
      checks: [{ check: EVIL, result: "residue", detail: EVIL }],
      filesScanned: 2,
      bytesScanned: 3 * 1024 * 1024,
      scannedDigest: "sha256:d",
      layersDecoded: { gzip: 1 },
    },
  ],
  findings: [{ location: EVIL, path: EVIL, member: EVIL, form: "token", fingerprintId: "set-1", recipients: [EVIL] }],
  gaps: [{ location: EVIL, path: EVIL, reason: EVIL }],
  notChecked: [
    { kind: "gap", location: EVIL, path: EVIL, reason: EVIL },
    { kind: "limit", reason: EVIL },
  ],
  ranBy: { user: EVIL, host: EVIL },
  disconnectProofs: [{ credential: "installation-token", request: EVIL, status: 401, at: "2026-01-01T00:00:30.000Z" }],
};

describe("renderReportHtml", () => {
  it("escapes every value: a hostile hostname, path or reason stays text", () => {
    const page = renderReportHtml(report, { jsonFile: `/r/${EVIL}.json`, sha256: "sha256:abc", publicKeyPem });
    expect(page).not.toContain("<script");
    expect(page).not.toContain("<img");
    expect(page).not.toContain('evil"');
    expect(page).toContain(escapeHtml(EVIL));
    expect(page).toContain("3.00 MiB");
    expect(page).toContain(publicKeyFingerprint(publicKeyPem));
    expect(page).toContain("RESIDUE");
    expect(page).toContain("401");
  });

  it("names the key by the SHA-256 of its DER, without padding", () => {
    expect(publicKeyFingerprint(publicKeyPem)).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
  });
});
