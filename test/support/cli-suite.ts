import { startGitHubSim, type GitHubSim, type GitHubSimOptions } from "@connect-ops/github-sim";
import { snapshotCli, SuiteResources, testdirSync, type CliRun, type CliSnapshot } from "@connect-ops/test-support";
import { afterAll, beforeAll } from "vitest";

/** What an e2e suite of the built CLI holds: its simulator, a private copy of the CLI, and a scratch dir. */
export interface CliSuite {
  /** The suite's simulator (started before the first test). */
  readonly sim: GitHubSim;
  /** The suite's private copy of the built CLI: other suites rebuild packages/cli/dist while this one runs. */
  readonly cli: CliSnapshot;
  /** The scratch directory, removed after the suite. */
  readonly scratch: string;
  /** Runs the suite's CLI copy. */
  readonly connectOps: (argv: readonly string[], env?: Readonly<Record<string, string | undefined>>) => Promise<CliRun>;
}

export interface CliSuiteOptions {
  /** The scratch dir's name prefix (e.g. "e2e-disconnect-"). */
  readonly prefix: string;
  /** Use the test bundle, which keeps the crash hook (CONNECT_OPS_FAULT_CRASH_AT). */
  readonly testHooks?: boolean;
  readonly sim?: GitHubSimOptions;
}

/**
 * The preamble every e2e suite of the built CLI shares, once: registers the `beforeAll` that starts a
 * simulator and copies the CLI, and the `afterAll` that stops and removes them.
 */
export function cliSuite(options: CliSuiteOptions): CliSuite {
  const resources = new SuiteResources();
  const scratch = testdirSync({ prefix: options.prefix });
  let sim: GitHubSim | undefined;
  let cli: CliSnapshot | undefined;
  const started = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`cliSuite: the ${what} is started in beforeAll; use it inside a test`);
    return value;
  };
  beforeAll(async () => {
    sim = resources.hold(await startGitHubSim(options.sim));
    cli = resources.hold(await snapshotCli({ testHooks: options.testHooks === true }));
  });
  afterAll(async () => {
    await resources[Symbol.asyncDispose]();
    scratch[Symbol.dispose]();
  });
  return {
    get sim() {
      return started(sim, "simulator");
    },
    get cli() {
      return started(cli, "CLI copy");
    },
    scratch: scratch.path,
    connectOps: (argv, env = {}) => started(cli, "CLI copy").run(argv, env),
  };
}
