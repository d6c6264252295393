#!/usr/bin/env node
// Memory and time of a full scan of a tree of many small files (issue 18):
//   node tools/bench/tree/million-files.mjs [FILES] [DIR]
// Generates FILES (default 1 000 000) files of 64 bytes in DIR/tree (default
// /tmp/bench-million; kept, so later runs reuse it), 1 000 per directory, then
// runs one `scanPath` of the built @connect-ops/backup-hooks in a child process
// and prints one JSON line: files, wall ms, peak RSS, and RSS per file.
// The figure is for a note, never a test assertion.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const files = Number(process.argv[2] ?? 1_000_000);
const base = process.argv[3] ?? "/tmp/bench-million";
const tree = join(base, `tree-${files}`);
if (!existsSync(join(tree, ".ready"))) {
  const perDir = 1000;
  const body = Buffer.alloc(64, 0x61);
  for (let index = 0; index < files; index += 1) {
    const dir = join(tree, `d${Math.floor(index / perDir)}`);
    if (index % perDir === 0) mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `f${index % perDir}.txt`), body);
  }
  writeFileSync(join(tree, ".ready"), "");
}
const child = `
  const { scanPath } = await import("@connect-ops/backup-hooks");
  const { createResidueMatcher } = await import("@connect-ops/connection-core");
  const before = process.memoryUsage().rss;
  const started = performance.now();
  const result = await scanPath(${JSON.stringify(tree)}, { matcher: createResidueMatcher([]) });
  const wallMs = Math.round(performance.now() - started);
  const peak = process.resourceUsage().maxRSS * 1024;
  console.log(JSON.stringify({ files: result.filesScanned, gaps: result.gaps.length, wallMs, peakRssMB: Math.round(peak / 2 ** 20), startRssMB: Math.round(before / 2 ** 20), bytesPerFile: Math.round((peak - before) / Math.max(1, result.filesScanned)) }));
`;
const out = execFileSync(process.execPath, ["--input-type=module", "-e", child], {
  cwd: new URL("../../..", import.meta.url).pathname,
  encoding: "utf8",
  maxBuffer: 1 << 20,
});
process.stdout.write(
  `${out.trim()} load ${(await import("node:os"))
    .loadavg()
    .map((value) => value.toFixed(2))
    .join(" ")}\n`,
);
