import { startGitHubSim, type GitHubSim } from "@connect-ops/github-sim";
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  connectArgv,
  snapshotCli,
  SuiteResources,
  testdirSync,
  writeLicense,
  type CliEnv,
  type CliRun,
} from "@connect-ops/test-support";
import { manifestFollower } from "./crash/manifest-flow.js";

// Issue 14, item 4: `connect --manifest`, the App-manifest flow, followed end to end by a real headless Chromium:
// the CLI's page auto-posts the manifest to the simulator's settings page, whose redirect brings the browser back to
// the CLI's callback with the code. Then the state check, the timeout, and `connect` refusing a github.com cloud.

const suite = new SuiteResources();
const sims: Partial<Record<"github.com" | "ghes-connect", GitHubSim>> = {};
let cli: Awaited<ReturnType<typeof snapshotCli>>;
/** The CLI with the test hooks (CONNECT_OPS_FAULT_CRASH_AT): the orphan cases kill it at a checkpoint. */
let hooked: Awaited<ReturnType<typeof snapshotCli>>;
const scratch = testdirSync({ prefix: "e2e-manifest-" }); // e2e-*: the leak canary scans it
beforeAll(async () => {
  cli = suite.hold(await snapshotCli());
  hooked = suite.hold(await snapshotCli({ testHooks: true }));
  sims["github.com"] = suite.hold(await startGitHubSim({ profile: "github.com" }));
  sims["ghes-connect"] = suite.hold(await startGitHubSim({ profile: "ghes-connect" }));
});
afterAll(async () => {
  await suite[Symbol.asyncDispose]();
  scratch[Symbol.dispose]();
});

const simOf = (profile: "github.com" | "ghes-connect"): GitHubSim => {
  const sim = sims[profile];
  if (sim === undefined) throw new Error("the simulators start in beforeAll");
  return sim;
};

let counter = 0;
async function initialised(): Promise<{ stateDir: string; env: CliEnv }> {
  const stateDir = join(scratch.path, `appliance-${counter++}`, "state");
  // No admin token: the manifest flow needs none.
  const env: CliEnv = { CONNECT_OPS_STATE_DIR: stateDir, CONNECT_OPS_CLOUD_TOKEN: undefined };
  const init = await cli.run(["init"], env);
  expect(init.code, init.stderr).toBe(0);
  return { stateDir, env };
}

/** Every file under the state dir (names only): what "nothing written" is compared against. */
const filesUnder = (dir: string): string[] => readdirSync(dir, { recursive: true, encoding: "utf8" }).sort();

const PAGE_URL = /http:\/\/127\.0\.0\.1:\d+\//;

/** Runs `connect --manifest`, handing the page URL it prints to `follow` as soon as it appears on stderr. */
function connectManifest(
  env: CliEnv,
  cloudUrl: string,
  follow: (pageUrl: string) => void,
  extra: readonly string[] = [],
): Promise<CliRun> {
  let followed = false;
  return cli.run(
    ["--json", "connect", "--manifest", "--cloud-url", cloudUrl, "--account", "organization:octo-org", ...extra],
    env,
    {
      hangGuardMs: 120_000,
      // Not a kill: the hook sees each chunk of output, and starts the browser once the URL is printed.
      killWhen: ({ stderr }) => {
        const url = PAGE_URL.exec(stderr)?.[0];
        if (url !== undefined && !followed) {
          followed = true;
          follow(url);
        }
        return false;
      },
    },
  );
}

/** Headless Chromium loads the page: it runs the auto-submit and follows the redirect back to the callback. */
function chromiumFollows(pageUrl: string): Promise<string> {
  const profile = mkdtempSync(join(tmpdir(), "manifest-chromium-"));
  return new Promise<string>((resolve, reject) => {
    execFile(
      "chromium",
      ["--headless=new", "--no-sandbox", "--disable-gpu", `--user-data-dir=${profile}`, "--dump-dom", pageUrl],
      { timeout: 90_000 },
      (error, stdout) => {
        rmSync(profile, { recursive: true, force: true });
        if (error === null) resolve(stdout);
        else reject(new Error(`chromium --dump-dom ${pageUrl} failed`, { cause: error }));
      },
    );
  });
}

describe("connect --manifest", () => {
  for (const profile of ["github.com", "ghes-connect"] as const) {
    it(`creates the App through a real browser, seals its key and mints the first token (${profile})`, async () => {
      const sim = simOf(profile);
      const { env } = await initialised();
      const appsBefore = sim.counters().apps;
      let browser: Promise<string> = Promise.resolve("");
      const run = await connectManifest(env, sim.url, (url) => {
        browser = chromiumFollows(url);
      });
      expect(run.code, run.stderr).toBe(0);
      expect(await browser).toContain("connect-ops received the code");
      const outcome = JSON.parse(run.stdout) as Record<string, unknown>;
      expect(outcome).toMatchObject({
        cloudUrl: sim.url,
        owner: "organization:octo-org",
        resumed: false,
        alreadyConnected: false,
      });
      expect(String(outcome["appSlug"])).toMatch(/^connect-ops-octo-org-\d+$/);
      expect(sim.counters().apps).toBe(appsBefore + 1);
      // Neither the client secret nor the webhook secret nor the key is ever printed.
      expect(run.stdout + run.stderr).not.toMatch(/client_secret|webhook_secret|PRIVATE KEY/);

      const token = await cli.run(["--json", "token", "--force"], env);
      expect(token.code, token.stderr).toBe(0);
      expect(JSON.parse(token.stdout)).toMatchObject({ minted: true });
      const status = await cli.run(["--json", "status"], env);
      expect(status.code, status.stderr).toBe(0);

      const again = await cli.run(
        ["--json", "connect", "--manifest", "--cloud-url", sim.url, "--account", "organization:octo-org"],
        env,
      );
      expect(again.code, again.stderr).toBe(0);
      expect(JSON.parse(again.stdout)).toMatchObject({ appId: outcome["appId"], alreadyConnected: true });
      expect(sim.counters().apps).toBe(appsBefore + 1);
    });
  }

  it("refuses a callback whose state is not this run's: exit 2, nothing converted or written", async () => {
    const sim = simOf("github.com");
    const { stateDir, env } = await initialised();
    const before = filesUnder(stateDir);
    const appsBefore = sim.counters().apps;
    let forged: Promise<number> = Promise.resolve(0);
    const run = await connectManifest(env, sim.url, (url) => {
      forged = fetch(`${url}callback?code=0123456789abcdef0123&state=not-the-one`).then((answer) => answer.status);
    });
    expect(await forged).toBe(400);
    expect(run.code, run.stderr).toBe(2);
    expect(JSON.parse(run.stdout)).toMatchObject({ error: { code: "CLI_MANIFEST_STATE_MISMATCH" } });
    expect(filesUnder(stateDir)).toEqual(before);
    expect(existsSync(join(stateDir, "journal", "connect-manifest.json"))).toBe(false);
    expect(sim.counters().apps).toBe(appsBefore);
  });

  it("gives up after --timeout when nobody opens the page: exit 3, a clear error, nothing written", async () => {
    const sim = simOf("github.com");
    const { stateDir, env } = await initialised();
    const before = filesUnder(stateDir);
    const run = await connectManifest(env, sim.url, () => undefined, ["--timeout", "2s"]);
    expect(run.code, run.stderr).toBe(3);
    expect(JSON.parse(run.stdout)).toMatchObject({
      error: { code: "CLI_MANIFEST_TIMEOUT", message: expect.stringContaining("nobody completed") as unknown },
    });
    expect(filesUnder(stateDir)).toEqual(before);
  });

  it("refuses a --callback-port that is not a port: exit 2", async () => {
    const { env } = await initialised();
    const run = await cli.run(
      ["connect", "--manifest", "--cloud-url", simOf("github.com").url, "--account", "organization:octo-org"].concat([
        "--callback-port",
        "http",
      ]),
      env,
    );
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("--callback-port");
  });
});

/** `connect --manifest` through the HTTP follower (no browser), on the hooked CLI; `crashAt` kills it there. */
async function manifestRun(
  env: CliEnv,
  sim: GitHubSim,
  extra: readonly string[] = [],
  crashAt?: string,
): Promise<CliRun> {
  const follower = manifestFollower();
  const run = await hooked.run(
    ["--json", "connect", "--manifest", "--cloud-url", sim.url, "--account", "organization:octo-org", ...extra],
    { ...env, ...(crashAt === undefined ? {} : { CONNECT_OPS_FAULT_CRASH_AT: crashAt }) },
    { hangGuardMs: 120_000, killWhen: follower.watch },
  );
  await follower.settled();
  return run;
}

describe("connect --manifest killed between the conversion and the seal (issue 14: the orphan App)", () => {
  it.each([
    ["manifest:ids-journaled", true],
    ["manifest:converted", false],
  ] as const)(
    "after a kill at %s the re-run exits 3 CLI_MANIFEST_ORPHAN_APP naming the App, creates none; deleted, --discard-orphan connects with one App",
    async (point, idsKnown) => {
      const sim = simOf("github.com");
      const { stateDir, env } = await initialised();
      const before = new Set(sim.listApps().map((app) => app.id));
      const killed = await manifestRun(env, sim, [], point);
      expect(killed.signal, killed.stderr).toBe("SIGKILL");
      const orphans = sim.listApps().filter((app) => !before.has(app.id));
      expect(orphans).toHaveLength(1);
      const orphan = orphans[0] as { id: number; slug: string; name: string };

      const rerun = await manifestRun(env, sim);
      expect(rerun.code, rerun.stderr).toBe(3);
      const { error } = JSON.parse(rerun.stdout) as { error: { code: string; message: string; hint: string } };
      expect(error.code).toBe("CLI_MANIFEST_ORPHAN_APP");
      if (idsKnown) {
        expect(error.message).toContain(`${orphan.slug} (id ${orphan.id})`);
        expect(error.hint).toContain(`/organizations/octo-org/settings/apps/${orphan.slug}/advanced`);
      } else {
        expect(error.message).toContain(`may have created an App named "${orphan.name}"`);
        expect(error.hint).toContain("/organizations/octo-org/settings/apps ");
      }
      expect(error.hint).toContain("--discard-orphan");
      expect(sim.listApps().filter((app) => !before.has(app.id))).toHaveLength(1);
      expect(existsSync(join(stateDir, "vault", "meta.json"))).toBe(false);

      // The person deletes the orphan on the settings page; --discard-orphan starts over and connects.
      expect(sim.deleteApp(orphan.id)).toBe(true);
      const fresh = await manifestRun(env, sim, ["--discard-orphan"]);
      expect(fresh.code, fresh.stderr).toBe(0);
      const outcome = JSON.parse(fresh.stdout) as { appId: number; resumed: boolean };
      expect(outcome.resumed).toBe(false);
      expect(
        sim
          .listApps()
          .filter((app) => !before.has(app.id))
          .map((app) => app.id),
      ).toEqual([outcome.appId]);
      const status = await cli.run(["--json", "status"], env);
      expect(status.code, status.stderr).toBe(0);
    },
  );

  it("a kill after the intent but before the conversion request: reported as a possible orphan, and no App exists", async () => {
    const sim = simOf("github.com");
    const { env } = await initialised();
    const before = sim.listApps().length;
    const killed = await manifestRun(env, sim, [], "manifest:intent-journaled");
    expect(killed.signal).toBe("SIGKILL");
    const rerun = await manifestRun(env, sim);
    expect(rerun.code, rerun.stderr).toBe(3);
    expect(JSON.parse(rerun.stdout)).toMatchObject({ error: { code: "CLI_MANIFEST_ORPHAN_APP" } });
    expect(sim.listApps()).toHaveLength(before);
    const fresh = await manifestRun(env, sim, ["--discard-orphan"]);
    expect(fresh.code, fresh.stderr).toBe(0);
    expect(sim.listApps()).toHaveLength(before + 1);
  });

  it("a kill after the seal is no orphan: the re-run resumes from the sealed key, exit 0, one App", async () => {
    const sim = simOf("github.com");
    const { env } = await initialised();
    const before = sim.listApps().length;
    const killed = await manifestRun(env, sim, [], "manifest:key-sealed");
    expect(killed.signal).toBe("SIGKILL");
    const rerun = await manifestRun(env, sim);
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(JSON.parse(rerun.stdout)).toMatchObject({ resumed: true });
    expect(sim.listApps()).toHaveLength(before + 1);
  });
});

describe("connect against a cloud without Connect records", () => {
  it("exits 2 and names adopt and connect --manifest, with nothing written", async () => {
    const { stateDir, env } = await initialised();
    const license = writeLicense(join(stateDir, ".."));
    const before = filesUnder(stateDir);
    const run = await cli.run(["--json", ...connectArgv({ license }, simOf("github.com").url)], {
      ...env,
      CONNECT_OPS_CLOUD_TOKEN: "ghp_0123456789abcdef0123456789abcdef0123",
    });
    expect(run.code, run.stderr).toBe(2);
    const { error } = JSON.parse(run.stdout) as { error: { code: string; hint: string } };
    expect(error.code).toBe("CLI_CONNECT_RECORDS_UNSUPPORTED");
    expect(error.hint).toContain("connect --manifest");
    expect(error.hint).toContain("adopt");
    expect(filesUnder(stateDir)).toEqual(before);
  });
});
