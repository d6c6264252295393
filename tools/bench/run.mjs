#!/usr/bin/env node
// `npm run bench [name…]`: runs the benchmarks (all by default). Each one
// measures connect-ops against a baseline interleaved in the same run and
// prints medians and the ratio; none of them is a test.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";

const here = new URL(".", import.meta.url).pathname;
const wanted = process.argv.slice(2);
const benches = readdirSync(here, { withFileTypes: true })
  .filter((entry) => entry.isDirectory() && existsSync(join(here, entry.name, "bench.mjs")))
  .map((entry) => entry.name)
  .filter((name) => wanted.length === 0 || wanted.includes(name));
let failed = false;
for (const name of benches) {
  console.log(`\n== bench: ${name}`);
  const result = spawnSync(process.execPath, [join(here, name, "bench.mjs")], { stdio: "inherit" });
  if (result.status !== 0) failed = true;
}
process.exit(failed ? 1 : 0);
