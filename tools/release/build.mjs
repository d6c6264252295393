#!/usr/bin/env node
// `npm run release`: writes dist/release/ (or --out DIR):
//   connect-ops-<version>-linux-x64   single executable, no Node needed on the host
//   connect-ops-<version>.tgz         npm package without dependencies
//   SHA256SUMS                        for both, in `sha256sum -c` format
// Both print `--version` as "<version> (<commit>)"; see docs/install.md.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { bundleCli } from "./bundle.mjs";
import { packNpmPackage } from "./npm-package.mjs";
import { buildSingleExecutable } from "./sea.mjs";

const repoRoot = resolve(import.meta.dirname, "..", "..");
const { values } = parseArgs({ options: { out: { type: "string", default: join(repoRoot, "dist", "release") } } });
const outDir = resolve(values.out);

/** The commit the release is built from, or "unknown" outside a git checkout. */
function commitOf(dir) {
  try {
    return execFileSync("git", ["rev-parse", "--short", "HEAD"], {
      cwd: dir,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    }).trim();
  } catch {
    return "unknown";
  }
}

if (process.platform !== "linux" || process.arch !== "x64") {
  console.error(
    `error[RELEASE_PLATFORM]: the release is built for linux-x64, this is ${process.platform}-${process.arch} — run npm run release on a linux-x64 machine`,
  );
  process.exit(2);
}

const started = performance.now();
const manifest = JSON.parse(readFileSync(join(repoRoot, "packages", "cli", "package.json"), "utf8"));
const versionText = `${manifest.version} (${commitOf(repoRoot)})`;
const workDir = mkdtempSync(join(tmpdir(), "connect-ops-release-"));
try {
  mkdirSync(outDir, { recursive: true });
  const bundle = join(workDir, "connect-ops.cjs");
  const warnings = await bundleCli({ repoRoot, file: bundle, version: versionText });
  for (const warning of warnings) console.error(`warning: ${warning}`);

  const executable = `connect-ops-${manifest.version}-linux-x64`;
  rmSync(join(outDir, executable), { force: true });
  await buildSingleExecutable({ bundle, file: join(outDir, executable), workDir });
  const tarball = packNpmPackage({ bundle, manifest, version: manifest.version, versionText, outDir, workDir });

  const sums = [executable, tarball].map(
    (name) =>
      `${createHash("sha256")
        .update(readFileSync(join(outDir, name)))
        .digest("hex")}  ${name}\n`,
  );
  writeFileSync(join(outDir, "SHA256SUMS"), sums.join(""));
  console.log(
    `connect-ops ${versionText}: ${executable}, ${tarball}, SHA256SUMS in ${outDir} (${((performance.now() - started) / 1000).toFixed(1)} s)`,
  );
} finally {
  rmSync(workDir, { recursive: true, force: true });
}
