import { startGitHubSim, type GitHubSim } from "@connect-ops/github-sim";
import { CLI_DIR, connectArgv, initialisedAppliance, spawnCli, testdirSync } from "@connect-ops/test-support";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// Issue 12 ("no figure regresses"): a token cache hit and `status --offline` are what cron and monitoring
// run every minute, so they must load only the hot-path chunks. Timing belongs in the benchmark
// (../shared/bench/startup-vs-node); this pins its cause: which modules those commands load. The heavy
// dependencies (zod's 390 kB, age, octokit, ssh2, tar, undici, pino) must stay behind dynamic imports.

const HEAVY = ["zod", "age-encryption", "@octokit", "ssh2", "tar", "undici", "pino", "@noble"];
const REGISTER = fileURLToPath(new URL("./support/module-trace/register.mjs", import.meta.url));
const scratch = testdirSync({ prefix: "e2e-startup-modules-" });
let sim: GitHubSim;
let env: Record<string, string | undefined>;

/** The source files a bundle chunk was built from, read from its source map (paths as the map spells them). */
function sourcesOf(chunk: string): string[] {
  const map = `${chunk}.map`;
  if (!existsSync(map)) return [chunk];
  return (JSON.parse(readFileSync(map, "utf8")) as { sources: string[] }).sources;
}

/** Runs the CLI with the module trace and answers every source file behind the modules it loaded. */
async function sourcesLoadedBy(argv: readonly string[]): Promise<string[]> {
  const trace = join(scratch.path, "trace.txt");
  rmSync(trace, { force: true });
  const run = await spawnCli(argv, { ...env, NODE_OPTIONS: `--import ${REGISTER}`, CONNECT_OPS_MODULE_TRACE: trace });
  expect(run.code, run.stderr).toBe(0);
  const urls = readFileSync(trace, "utf8")
    .split("\n")
    .filter((url) => url.startsWith("file:"));
  // The trace must see the CLI itself, or this test proves nothing.
  expect(urls.some((url) => fileURLToPath(url).startsWith(join(CLI_DIR, "dist")))).toBe(true);
  return urls.flatMap((url) => sourcesOf(fileURLToPath(url)));
}

function heavyIn(sources: readonly string[]): string[] {
  return sources.filter((source) => HEAVY.some((name) => source.includes(`node_modules/${name}/`)));
}

beforeAll(async () => {
  sim = await startGitHubSim();
  const layout = await initialisedAppliance({ dir: join(scratch.path, "appliance"), cloud: sim, connectOps: spawnCli });
  env = layout.env;
  const connect = await spawnCli(connectArgv(layout, sim.url), env);
  expect(connect.code, connect.stderr).toBe(0);
});

afterAll(async () => {
  await sim.close();
  scratch[Symbol.dispose]();
});

describe("the hot paths load no heavy module", () => {
  it("a token cache hit", async () => {
    const sources = await sourcesLoadedBy(["token", "--json"]);
    expect(sources.some((source) => source.includes("lifecycle/token.ts"))).toBe(true);
    expect(heavyIn(sources)).toEqual([]);
  });

  it("status --offline", async () => {
    const sources = await sourcesLoadedBy(["status", "--offline", "--json"]);
    expect(heavyIn(sources)).toEqual([]);
  });

  it("a token cache hit and status --offline with a --config file (checked by hand, issue 14)", async () => {
    const config = join(scratch.path, "config.json");
    writeFileSync(config, JSON.stringify({ recoveryRecipients: [], tokenMinTtlSeconds: 600 }));
    for (const argv of [["token"], ["status", "--offline"]]) {
      const sources = await sourcesLoadedBy(["--config", config, ...argv, "--json"]);
      expect(sources.some((source) => source.includes("flows/config-file.ts"))).toBe(true);
      expect(heavyIn(sources)).toEqual([]);
    }
  });

  it("the control: a forced refresh loads them (the trace sees dynamic imports)", async () => {
    // `token --force` mints: it must load the cloud client, so the matcher above can find heavy modules at all.
    const sources = await sourcesLoadedBy(["token", "--force", "--json"]);
    expect(heavyIn(sources).length).toBeGreaterThan(0);
  });
});
