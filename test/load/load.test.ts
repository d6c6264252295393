import type { GitHubSim } from "@connect-ops/github-sim";
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { applianceAt, copyTree, parseJsonOutput, type CliSnapshot } from "@connect-ops/test-support";
import { tokenJson } from "../support/cli-json.js";
import { recordReliability, RELIABILITY_TIER } from "../support/reliability-table.js";
import { connectedBenchSuite } from "../crash/fixtures.js";
import { openedGeneration, runCli } from "../crash/harness.js";

// Load and scale (issue 8, part 5). CI tier: 50 concurrent `token` runs mint
// exactly once. Heavy tier (RELIABILITY_TIER=heavy): `backup scan` of a 5 GB
// generated data dir with peak RSS ≤ 256 MB. Replicating to 30 containers ten
// times with random pauses is replicate-30.integration.test.ts (needs Docker).

const ROOT = join(import.meta.dirname, "..", "..");
let sim: GitHubSim;
let cli: CliSnapshot;
let template: string;
const scratch = connectedBenchSuite("reliability-load-", (bench) => ({ cli, sim, template } = bench));

describe("load", () => {
  it("50 concurrent token runs on a stale token mint exactly once and agree on one generation", async () => {
    const at = applianceAt(join(scratch.path, "fifty"), sim.createAdminToken());
    copyTree(template, at.dir);
    sim.skewClock(-55 * 60); // the token minted now expires in 5 minutes of our time: stale for --min-ttl 10m
    try {
      expect((await runCli(cli.bin, ["token", "--force"], at.env)).code).toBe(0);
    } finally {
      sim.skewClock(0);
    }
    const generation = (await openedGeneration(at.stateDir)).generation as number;
    const mintsBefore = sim.counters().tokenMints;
    const runs = await Promise.all(
      Array.from({ length: 50 }, () => runCli(cli.bin, ["--json", "token", "--min-ttl", "10m"], at.env)),
    );
    const minted = runs.filter((run) => run.code === 0 && parseJsonOutput(tokenJson, run.stdout).minted).length;
    const failures = runs.filter((run) => run.code !== 0).length;
    recordReliability({
      area: "load",
      subject: "50 concurrent `token` runs",
      cases: 50,
      failures: failures + Math.abs(sim.counters().tokenMints - mintsBefore - 1),
      invariants: ["exactly one mint", "every run exits 0", "one new generation"],
    });
    expect(runs.filter((run) => run.code !== 0).map((run) => `exit ${run.code}: ${run.stderr}`)).toEqual([]);
    expect(sim.counters().tokenMints - mintsBefore).toBe(1);
    expect(minted).toBe(1);
    expect((await openedGeneration(at.stateDir)).generation).toBe(generation + 1);
  });

  it.runIf(RELIABILITY_TIER === "heavy")(
    "backup scan of a 5 GB generated data dir stays within 256 MB peak RSS",
    async () => {
      const dataDir = join(scratch.path, "five-gb");
      const generated = await runNode([
        join(ROOT, "tools", "bench", "snapshot", "generate.mjs"),
        dataDir,
        "--size-gb",
        "5",
      ]);
      expect(generated.code).toBe(0);
      const at = applianceAt(template, sim.createAdminToken());
      // GNU time is not on every box: read the child's peak RSS (VmHWM) from /proc just before it exits.
      const scan = await runNode([cli.bin, "--json", "backup", "scan", dataDir], at.env, true);
      recordReliability({
        area: "load",
        subject: "backup scan of 5 GB",
        cases: 1,
        failures: scan.peakKb > 256 * 1024 ? 1 : 0,
        invariants: ["peak RSS ≤ 256 MB", "scan finishes"],
        note: `peak RSS ${Math.round(scan.peakKb / 1024)} MB`,
      });
      expect([0, 1]).toContain(scan.code);
      expect(scan.peakKb).toBeLessThanOrEqual(256 * 1024);
    },
    3_600_000,
  );
});

/** Runs node with `args`; with `sampleRss`, polls /proc/<pid>/status VmHWM (peak RSS, kB) while it runs. */
function runNode(
  args: string[],
  env: Record<string, string> = {},
  sampleRss = false,
): Promise<{ code: number | null; peakKb: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      env: { ...process.env, ...env },
      stdio: ["ignore", "ignore", "ignore"],
    });
    let peakKb = 0;
    const sampler = sampleRss
      ? setInterval(() => {
          try {
            const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, "utf8"));
            if (match?.[1] !== undefined) peakKb = Math.max(peakKb, Number(match[1]));
          } catch {
            // exited
          }
        }, 50)
      : undefined;
    child.on("error", reject);
    child.on("close", (code) => {
      if (sampler !== undefined) clearInterval(sampler);
      resolve({ code, peakKb });
    });
  });
}
