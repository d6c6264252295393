import { execFileSync } from "node:child_process";
import { mkdirSync, readdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { testdirSync } from "@connect-ops/test-support";

const cliDir = join(import.meta.dirname, "..", "packages", "cli");

describe("the connect-ops package", () => {
  it("packs into a tarball that installs into an empty prefix and runs", () => {
    using scratch = testdirSync({ prefix: "pack-" });
    execFileSync("npm", ["pack", "--pack-destination", scratch.path], { cwd: cliDir, stdio: "ignore" });
    const tarball = readdirSync(scratch.path).find((name) => name.endsWith(".tgz"));
    expect(tarball).toMatch(/^connect-ops-\d+\.\d+\.\d+\.tgz$/);
    const prefix = join(scratch.path, "prefix");
    mkdirSync(prefix);
    // --offline: the only dependency left outside the bundle (ssh2) comes from npm's cache,
    // which `npm ci` filled; the test itself reaches no network.
    execFileSync("npm", ["install", "--offline", "--no-audit", "--no-fund", "--prefix", prefix, join(scratch.path, tarball as string)], { stdio: "ignore" });
    const bin = join(prefix, "node_modules", ".bin", "connect-ops");
    expect(execFileSync(bin, ["--version"]).toString().trim()).toMatch(/^\d+\.\d+\.\d+$/);
    const transcript = JSON.parse(execFileSync(bin, ["--json", "demo"], { cwd: scratch.path }).toString()) as { ok: boolean; verdict: string; report: string };
    rmSync(dirname(transcript.report), { recursive: true, force: true }); // the demo leaves its signed report for the operator
    expect(transcript).toMatchObject({ ok: true, verdict: "clean" });
    const installed = readdirSync(join(prefix, "node_modules"));
    expect(installed).not.toContain("@connect-ops"); // workspace packages travel inside the bundle
  }, 300_000);
});
