import { startGitHubSim, type GitHubSim } from "@connect-ops/github-sim";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  CLI_BIN,
  connectArgv,
  parseJsonOutput,
  snapshotCli,
  spawnCli,
  SuiteResources,
  testdirSync,
  writeLicense,
} from "@connect-ops/test-support";
import * as z from "zod";

// Issue 12, item 5: the test-only crash hook does not ship. The production bundle is built
// with __CONNECT_OPS_TEST_HOOKS__ = false, the test bundle (dist/test-bundle) with true.
const CLI_DIR = join(import.meta.dirname, "..", "packages", "cli");
const HOOK = "CONNECT_OPS_FAULT_CRASH_AT";

const suite = new SuiteResources();
let sim: GitHubSim;
let hooked: Awaited<ReturnType<typeof snapshotCli>>;
const scratch = testdirSync({ prefix: "e2e-test-hooks-" });
beforeAll(async () => {
  sim = suite.hold(await startGitHubSim());
  hooked = suite.hold(await snapshotCli({ testHooks: true }));
});
afterAll(async () => {
  await suite[Symbol.asyncDispose]();
  scratch[Symbol.dispose]();
});

let counter = 0;
async function initialised(): Promise<{ env: Record<string, string>; connectArgs: string[] }> {
  const dir = join(scratch.path, `appliance-${counter++}`);
  const env = { CONNECT_OPS_STATE_DIR: join(dir, "state"), CONNECT_OPS_CLOUD_TOKEN: sim.createAdminToken() };
  expect((await spawnCli(["init"], env)).code).toBe(0);
  const connectArgs = connectArgv({ license: writeLicense(dir) }, sim.url, `hooks-${counter}.example.com`);
  return { env, connectArgs };
}

function filesOf(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" }).map((file) => join(dir, file));
}

describe("the crash hook in the builds", () => {
  it("the connect-ops bin loads the production bundle", () => {
    const pkg = JSON.parse(readFileSync(join(CLI_DIR, "package.json"), "utf8")) as {
      bin: Record<string, string>;
      files: string[];
    };
    expect(join(CLI_DIR, pkg.bin["connect-ops"] ?? "")).toBe(CLI_BIN);
    expect(readFileSync(CLI_BIN, "utf8")).toContain('import("../dist/bundle/main.mjs")');
    expect(pkg.files).not.toContain("dist/test-bundle");
  });

  it("the production bundle (code and source maps) does not contain the hook's variable name; the test bundle does", () => {
    const production = filesOf(join(CLI_DIR, "dist", "bundle")).filter((file) => /\.mjs(\.map)?$/.test(file));
    expect(production.length).toBeGreaterThan(1);
    for (const file of production) expect(readFileSync(file, "utf8"), file).not.toContain(HOOK);
    expect(
      filesOf(join(CLI_DIR, "dist", "test-bundle")).some(
        (file) => file.endsWith(".mjs") && readFileSync(file, "utf8").includes(HOOK),
      ),
    ).toBe(true);
  });

  it("setting the variable for the production bin kills nothing: connect finishes", async () => {
    const appliance = await initialised();
    const run = await spawnCli(["--json", ...appliance.connectArgs], { ...appliance.env, [HOOK]: "record-registered" });
    expect(run.signal).toBeNull();
    expect(run.code, run.stderr).toBe(0);
    // The shape is the check: a finished connect names the App it created.
    expect(parseJsonOutput(z.looseObject({ appId: z.number() }), run.stdout).appId).toBeGreaterThan(0);
  });

  it("the test bundle still dies at the checkpoint (SIGKILL)", async () => {
    const appliance = await initialised();
    const run = await hooked.run(appliance.connectArgs, { ...appliance.env, [HOOK]: "record-registered" });
    expect(run.signal).toBe("SIGKILL");
    expect(run.code).toBeNull();
  });
});
