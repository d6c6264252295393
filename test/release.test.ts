import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawnCli, testdirSync, type CliRun } from "@connect-ops/test-support";

const repoRoot = join(import.meta.dirname, "..");
const { version } = JSON.parse(readFileSync(join(repoRoot, "packages", "cli", "package.json"), "utf8")) as {
  version: string;
};
const commit = execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: repoRoot, encoding: "utf8" }).trim();

/** Runs an artifact with exactly `env` (nothing inherited), output recorded for the leak canary. */
function runArtifact(file: string, argv: readonly string[], cwd: string, env: Record<string, string>): Promise<CliRun> {
  return spawnCli(argv, env, { executable: file, cwd, inheritEnv: false });
}

/** A directory with nothing of the repository in reach: its own HOME and TMPDIR (the demo's sandbox lands there). */
function emptyHost(root: string, name: string, path: string): { cwd: string; env: Record<string, string> } {
  const cwd = join(root, name);
  mkdirSync(join(cwd, "tmp"), { recursive: true });
  return { cwd, env: { PATH: path, HOME: cwd, TMPDIR: join(cwd, "tmp"), NO_COLOR: "1" } };
}

function expectCleanDemo(run: CliRun): void {
  expect(run.code).toBe(0);
  const demo = JSON.parse(run.stdout) as {
    ok: boolean;
    verdict: string;
    report: string;
    steps: { name: string; ok: boolean }[];
  };
  expect(demo).toMatchObject({ ok: true, verdict: "clean" });
  expect(demo.steps.filter((step) => !step.ok)).toEqual([]);
  // The signed report names the build that wrote it (verify-cleanup finds the version through import.meta.url).
  const report = JSON.parse(readFileSync(demo.report, "utf8")) as { tool: unknown };
  expect(report.tool).toEqual({ name: "connect-ops", version: `${version} (${commit})` });
}

describe("npm run release", () => {
  const scratch = testdirSync({ prefix: "e2e-release-" }); // e2e-*: the leak canary scans it
  const out = join(scratch.path, "release");
  const executable = join(out, `connect-ops-${version}-linux-x64`);
  const tarball = join(out, `connect-ops-${version}.tgz`);

  beforeAll(() => {
    // Built once for the whole file: the bundle, the SEA injection and npm pack take ~15 s.
    execFileSync(process.execPath, [join(repoRoot, "tools", "release", "build.mjs"), "--out", out], {
      cwd: repoRoot,
      stdio: "pipe",
    });
  });
  afterAll(() => scratch[Symbol.dispose]());

  it("writes the single executable, the npm tarball and SHA256SUMS of both", () => {
    expect(readdirSync(out).sort()).toEqual([
      "SHA256SUMS",
      `connect-ops-${version}-linux-x64`,
      `connect-ops-${version}.tgz`,
    ]);
    const sums = readFileSync(join(out, "SHA256SUMS"), "utf8");
    const expected = [executable, tarball].map(
      (file) => `${createHash("sha256").update(readFileSync(file)).digest("hex")}  ${file.slice(out.length + 1)}\n`,
    );
    expect(sums).toBe(expected.join(""));
    expect(execFileSync("sha256sum", ["--check", "--strict", "SHA256SUMS"], { cwd: out, encoding: "utf8" })).toContain(
      ": OK",
    );
  });

  it("runs the single executable in an empty directory with no node on PATH: --version with the commit, a clean demo", async () => {
    const bin = join(scratch.path, "bin-without-node");
    mkdirSync(bin);
    const host = emptyHost(scratch.path, "sea-host", bin);
    const versionRun = await runArtifact(executable, ["--version"], host.cwd, host.env);
    expect(versionRun).toMatchObject({ code: 0, stdout: `${version} (${commit})\n`, stderr: "" });
    // Commander's own -V (with another flag) answers the same, from the manifest baked into the bundle.
    expect((await runArtifact(executable, ["--json", "-V"], host.cwd, host.env)).stdout).toBe(
      `${version} (${commit})\n`,
    );
    const demo = await runArtifact(executable, ["demo", "--json"], host.cwd, host.env);
    expectCleanDemo(demo);
    expect(demo.stderr).not.toMatch(/ExperimentalWarning|single executable/i);
  });

  it("installs the tarball with npm install -g --offline into an empty prefix and cache, with no dependency, and runs it", async () => {
    const prefix = join(scratch.path, "prefix");
    const cache = join(scratch.path, "npm-cache");
    mkdirSync(prefix);
    mkdirSync(cache);
    // An unreachable registry besides --offline: the install must need none.
    execFileSync(
      "npm",
      [
        "install",
        "--global",
        "--offline",
        "--no-audit",
        "--no-fund",
        "--prefix",
        prefix,
        "--cache",
        cache,
        "--registry",
        "http://127.0.0.1:9/",
        tarball,
      ],
      { cwd: scratch.path, stdio: "pipe" },
    );
    const installed = join(prefix, "lib", "node_modules");
    expect(readdirSync(installed)).toEqual(["connect-ops"]);
    expect(readdirSync(join(installed, "connect-ops")).sort()).toEqual(["bin", "lib", "package.json"]);

    // Only node itself on PATH (the bin's shebang needs it); no node_modules, no repository in reach.
    const nodeOnly = join(scratch.path, "bin-node-only");
    mkdirSync(nodeOnly);
    symlinkSync(process.execPath, join(nodeOnly, "node"));
    const host = emptyHost(scratch.path, "npm-host", nodeOnly);
    const bin = join(prefix, "bin", "connect-ops");
    expect(await runArtifact(bin, ["--version"], host.cwd, host.env)).toMatchObject({
      code: 0,
      stdout: `${version} (${commit})\n`,
    });
    expectCleanDemo(await runArtifact(bin, ["--json", "demo"], host.cwd, host.env));
  });
});
