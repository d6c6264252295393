import { startGitHubSim, type GitHubSim } from "@connect-ops/github-sim";
import {
  connectedAppliance,
  snapshotCli,
  testdirSync,
  type Appliance,
  type CliSnapshot,
  type TestDir,
} from "@connect-ops/test-support";
import { createHash } from "node:crypto";
import { lstatSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll } from "vitest";
import { registerSecret } from "../support/canary.js";
import { runCli } from "./harness.js";

/** init → connect → replicate (test-support's `connectedAppliance`), through the harness runner; registers the secrets with the canary. */
export async function connectedTemplate(
  bin: string,
  sim: GitHubSim,
  dir: string,
  nodes?: readonly string[],
): Promise<Appliance> {
  const appliance = await connectedAppliance({
    cloud: sim,
    dir,
    connectOps: (argv, env) => runCli(bin, argv, env ?? {}),
    ...(nodes === undefined ? {} : { nodes }),
  });
  registerSecret("crash template private key", appliance.secrets.pem);
  registerSecret("crash template token", appliance.secrets.token);
  return appliance;
}

/** A private CLI copy, a simulator and a connected template appliance (`<scratch>/template`) that a suite copies per case. */
export interface ConnectedBench extends AsyncDisposable {
  readonly cli: CliSnapshot;
  readonly sim: GitHubSim;
  readonly template: string;
}

/** Builds the bench; disposing it closes the simulator and removes the CLI copy (the scratch dir stays the caller's). */
/** A bench's options: the template's node names (test-support's default otherwise), the test-hook CLI build. */
export interface BenchOptions {
  readonly nodes?: readonly string[];
  /** The CLI built with the test hooks (CONNECT_OPS_FAULT_CRASH_AT), for suites that kill at a checkpoint. */
  readonly testHooks?: boolean;
}

export async function connectedBench(scratch: TestDir, options: BenchOptions = {}): Promise<ConnectedBench> {
  const cli = await snapshotCli({ testHooks: options.testHooks === true });
  const sim = await startGitHubSim();
  const dispose = async (): Promise<void> => {
    await sim.close();
    await cli[Symbol.asyncDispose]();
  };
  const template = scratch.join("template");
  try {
    await connectedTemplate(cli.bin, sim, template, options.nodes);
  } catch (error) {
    await dispose();
    throw error;
  }
  return { cli, sim, template, [Symbol.asyncDispose]: dispose };
}

/**
 * For a suite that copies one connected template per case: registers the
 * hooks that build the bench in a fresh scratch dir (`<tmp>/<prefix>*`) and
 * hand it to `use`, and that dispose of both (then run `after`). Returns the
 * scratch dir.
 */
export function connectedBenchSuite(
  prefix: string,
  use: (bench: ConnectedBench) => void,
  after?: () => void,
  options: BenchOptions = {},
): TestDir {
  const scratch = testdirSync({ prefix });
  let bench: ConnectedBench | undefined;
  beforeAll(async () => {
    bench = await connectedBench(scratch, options);
    use(bench);
  }, 300_000);
  afterAll(async () => {
    await bench?.[Symbol.asyncDispose]();
    scratch[Symbol.dispose]();
    after?.();
  });
  return scratch;
}

/** SHA-256 of every regular file under `root` by relative path; symlinks by target. */
export function fileDigests(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string, prefix: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      const rel = prefix === "" ? name : `${prefix}/${name}`;
      const stats = lstatSync(path);
      if (stats.isDirectory()) walk(path, rel);
      else if (stats.isFile()) out[rel] = createHash("sha256").update(readFileSync(path)).digest("hex");
      else out[rel] = "other";
    }
  };
  walk(root, "");
  return out;
}
