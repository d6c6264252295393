#!/usr/bin/env node
// One full scan with the built @connect-ops/backup-hooks, for the benchmark:
// `node scan-once.mjs OUTDIR [--list]`. Prints one JSON line: wall ms, counts, peak RSS.
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { createResidueMatcher } from "@connect-ops/connection-core";
import { scanPath } from "@connect-ops/backup-hooks";

const [outDir, flag] = process.argv.slice(2);
const fingerprints = JSON.parse(readFileSync(join(outDir, "fingerprints.json"), "utf8"));
const expected = JSON.parse(readFileSync(join(outDir, "expected.json"), "utf8"));
const snapshot = resolve(outDir, expected.snapshot);
const plants = expected.plants;
const started = performance.now();
const result = await scanPath(snapshot, { matcher: createResidueMatcher([fingerprints]) });
const wallMs = performance.now() - started;
const key = (entry) => `${entry.path}|${entry.member ?? ""}|${entry.form}|${entry.encoding}`;
const found = new Set(
  result.findings.map((finding) => key({ ...finding, path: finding.path.slice(snapshot.length + 1) })),
);
const missing = plants.filter((plant) => !found.has(key(plant)));
const summary = {
  wallMs: Math.round(wallMs),
  findings: result.findings.length,
  gaps: result.gaps.length,
  filesScanned: result.filesScanned,
  bytesScanned: result.bytesScanned,
  plantsMissing: missing,
  maxRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
};
console.log(JSON.stringify(summary));
if (flag === "--list") for (const finding of result.findings) console.log(JSON.stringify(finding));
process.exitCode = missing.length === 0 ? 0 : 1;
