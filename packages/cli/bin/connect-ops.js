#!/usr/bin/env node
// Entry point. `--version` is answered before anything else is loaded, so a
// runbook's version probe costs only Node's own start-up; every other command
// loads the CLI, which loads heavy modules (age, ssh2, tar, octokit) lazily.
import { readFileSync } from "node:fs";

// `connect-ops status | head -1`: a closed pipe is the reader's choice, not an error to print.
process.stdout.on("error", (error) => {
  if (error.code === "EPIPE") process.exit(process.exitCode ?? 0);
  throw error;
});

const argv = process.argv.slice(2);
if (argv.length === 1 && (argv[0] === "--version" || argv[0] === "-V")) {
  const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));
  process.stdout.write(`${pkg.version}\n`);
} else {
  const { main } = await import("../dist/bundle/main.mjs");
  process.exitCode = await main(argv);
}
