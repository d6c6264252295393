#!/usr/bin/env node
// Entry for `npm run bench snapshot` (tools/bench/run.mjs): the residue-scan benchmark.
await import("./bench-scan.mjs");
