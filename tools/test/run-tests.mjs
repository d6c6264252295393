#!/usr/bin/env node
// The project's one test command (README, .ci/run): builds, typechecks and
// lints every package through Nx, runs every package's vitest suite, then
// typechecks, lints and runs the end-to-end suites in test/, and prints one
// closing summary line "N passed, N failed" summed over every JSON report.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";

const root = new URL("../..", import.meta.url).pathname;
const resultsDir = join(root, "test-results");
rmSync(resultsDir, { recursive: true, force: true });
mkdirSync(resultsDir, { recursive: true });

const env = { ...process.env, NX_DAEMON: "false", NX_NO_CLOUD: "true", NX_TUI: "false" };
// Integration suites (real sshd containers) run whenever a Docker engine answers;
// INTEGRATION=0 or =1 forces the choice. `.ci/run` starts the engine first.
if (env.INTEGRATION === undefined) {
  const probe = spawnSync("docker", ["info"], { stdio: "ignore", timeout: 10_000 });
  env.INTEGRATION = probe.status === 0 ? "1" : "0";
  if (env.INTEGRATION === "0") {
    console.log(
      "tests: no Docker engine answered `docker info`: integration suites are skipped (start one with `bash tools/ci/docker.sh start`)",
    );
  }
}
env.TESTCONTAINERS_RYUK_DISABLED ??= "true";
const steps = [
  // Static checks first: the formatter (Prettier, .prettierrc.json), every package's
  // typecheck and lint, then the e2e suites' own.
  ["npx", ["prettier", "--check", "--log-level", "warn", "."]],
  ["npx", ["nx", "run-many", "-t", "build", "typecheck", "lint", "--outputStyle=static"]],
  // The Ansible collection (deploy/ansible, issue 19): ansible-lint, offline.
  ["sh", ["tools/ci/ansible-lint.sh"]],
  ["npx", ["nx", "run-many", "-t", "test", "--outputStyle=stream", "--parallel=1", ...process.argv.slice(2)]],
];
if (existsSync(join(root, "test", "vitest.config.ts"))) {
  steps.push(
    ["npx", ["tsc", "-p", "test/tsconfig.json"]],
    ["npx", ["eslint", "test"]],
    ["npx", ["vitest", "run", "--config", "test/vitest.config.ts"]],
  );
}

let failedStep = false;
for (const [command, args] of steps) {
  const result = spawnSync(command, args, { cwd: root, env, stdio: "inherit" });
  if (result.status !== 0) failedStep = true;
}

let passed = 0;
let failed = 0;
let skipped = 0;
for (const file of readdirSync(resultsDir).filter((name) => name.endsWith(".json"))) {
  const report = JSON.parse(readFileSync(join(resultsDir, file), "utf8"));
  passed += report.numPassedTests ?? 0;
  failed += report.numFailedTests ?? 0;
  skipped += (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
}
if (failedStep && failed === 0) failed = 1; // a suite that crashed before reporting still fails the run
console.log(`\n${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failedStep || failed > 0 ? 1 : passed === 0 ? 1 : 0);
