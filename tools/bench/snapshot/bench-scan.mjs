#!/usr/bin/env node
// Residue-scan benchmark (issue 5): `node tools/bench/snapshot/bench-scan.mjs [OUTDIR] [--rounds N] [--size-gb 1.5]`.
// Builds backup-hooks, generates the snapshot into OUTDIR (default .bench/snapshot-1.5,
// gitignored) if it is not there, then times, interleaved in the same run:
//   baseline  rg -uuu -z -F -f needles <snapshot>
//   ours      node scan-once.mjs (scanPath of the built package over the same snapshot)
// and prints the medians, the ratio (target ≤ 1.25×) and our peak RSS (target ≤ 256 MB).
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { median } from "../interleave.mjs";

const here = new URL(".", import.meta.url).pathname;
const repo = resolve(here, "../../..");
const args = process.argv.slice(2);
const option = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const outDir = resolve(
  repo,
  args.find((arg, index) => !arg.startsWith("--") && !args[index - 1]?.startsWith("--")) ?? ".bench/snapshot-1.5",
);
const rounds = Number(option("--rounds", "7"));
const sizeGb = option("--size-gb", "1.5");

function run(command, commandArgs, options = {}) {
  const result = spawnSync(command, commandArgs, {
    cwd: repo,
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
    ...options,
  });
  if (result.error) throw result.error;
  return result;
}

for (const project of ["packages/connection-core", "packages/backup-hooks"]) {
  const build = run("npx", ["tsc", "-p", `${project}/tsconfig.build.json`]);
  if (build.status !== 0) throw new Error(`build of ${project} failed:\n${build.stdout}${build.stderr}`);
}
if (!existsSync(join(outDir, "expected.json"))) {
  console.log(`generating ${sizeGb} GB snapshot in ${outDir} …`);
  const generated = run(process.execPath, [join(here, "generate.mjs"), outDir, "--size-gb", sizeGb], {
    stdio: "inherit",
  });
  if (generated.status !== 0) process.exit(1);
}
const snapshot = resolve(outDir, JSON.parse(readFileSync(join(outDir, "expected.json"), "utf8")).snapshot);
const bytes = Number(run("du", ["-sb", snapshot]).stdout.split("\t")[0]);
// Page cache warm for both contenders: the comparison is CPU, not disk.
run("sh", ["-c", `find "${snapshot}" -type f -exec cat {} + > /dev/null`]);

const candidates = [
  {
    name: "rg -uuu -z -F -f needles",
    command: "rg",
    args: ["-uuu", "-z", "-F", "-f", join(outDir, "needles"), snapshot],
    ok: (status) => status === 0,
  },
  {
    name: "connect-ops scanPath",
    command: process.execPath,
    args: [join(here, "scan-once.mjs"), outDir],
    ok: (status) => status === 0,
  },
];
const samples = new Map(candidates.map((candidate) => [candidate.name, []]));
const rss = [];
let last;
for (let round = 0; round < rounds + 1; round += 1) {
  const order = round % 2 === 0 ? candidates : [...candidates].reverse();
  for (const candidate of order) {
    const started = process.hrtime.bigint();
    const result = spawnSync(candidate.command, candidate.args, {
      cwd: repo,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
      maxBuffer: 256 * 1024 * 1024,
    });
    const elapsed = Number(process.hrtime.bigint() - started) / 1e6;
    if (!candidate.ok(result.status))
      throw new Error(`${candidate.name} exited ${result.status}: ${result.stdout?.slice(0, 2000)}`);
    if (candidate.command === process.execPath) {
      last = JSON.parse(result.stdout.split("\n")[0]);
      rss.push(last.maxRssMB);
    }
    if (round > 0) samples.get(candidate.name).push(elapsed); // round 0 is warm-up
  }
}
const [baseline, ours] = candidates.map((candidate) => median(samples.get(candidate.name)));
const ratio = ours / baseline;
const peakRss = Math.max(...rss);
console.log(`snapshot ${snapshot}: ${(bytes / 1e9).toFixed(2)} GB on disk; ${rounds} interleaved rounds (+1 warm-up)`);
console.log(
  `  ${candidates[0].name.padEnd(28)} median ${baseline.toFixed(0).padStart(6)} ms   samples ${samples
    .get(candidates[0].name)
    .map((v) => v.toFixed(0))
    .join(" ")}`,
);
console.log(
  `  ${candidates[1].name.padEnd(28)} median ${ours.toFixed(0).padStart(6)} ms   samples ${samples
    .get(candidates[1].name)
    .map((v) => v.toFixed(0))
    .join(" ")}`,
);
console.log(`  ratio ours/rg ${ratio.toFixed(2)}× (target ≤ 1.25×: ${ratio <= 1.25 ? "met" : "MISSED"})`);
console.log(`  our peak RSS ${peakRss} MB (target ≤ 256 MB: ${peakRss <= 256 ? "met" : "MISSED"})`);
console.log(
  `  our scan: ${last.findings} findings, ${last.gaps} gaps, ${last.filesScanned} files, ${(last.bytesScanned / 1e9).toFixed(2)} GB read, plants missing: ${last.plantsMissing.length}`,
);
process.exitCode = ratio <= 1.25 && peakRss <= 256 && last.plantsMissing.length === 0 ? 0 : 1;
