import { startGitHubSim, type GitHubSim } from "@connect-ops/github-sim";
import {
  connectedAppliance,
  copyTree,
  snapshotCli,
  spawnCli,
  SuiteResources,
  testdirSync,
  type Appliance,
} from "@connect-ops/test-support";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as z from "zod";

// Issue 16 item 4: the hook processes every snapshot of the data dir it has not processed yet,
// not only `current`; a marker per snapshot is written once it is done, so a SIGKILL at any
// step makes the next run reprocess that snapshot (never skip it).

const SNAPSHOTS = ["20240101T000000", "20240102T000000", "20240103T000000"] as const;
const suite = new SuiteResources();
const scratch = testdirSync({ prefix: "e2e-hook-snapshots-" });
let sim: GitHubSim;
let appliance: Appliance;
let hooked: Awaited<ReturnType<typeof snapshotCli>>;

beforeAll(async () => {
  sim = suite.hold(await startGitHubSim());
  hooked = suite.hold(await snapshotCli({ testHooks: true }));
  appliance = await connectedAppliance({
    dir: join(scratch.path, "appliance"),
    cloud: sim,
    connectOps: spawnCli,
    snapshots: SNAPSHOTS,
  });
});
afterAll(async () => {
  await suite[Symbol.asyncDispose]();
  scratch[Symbol.dispose]();
});

const hookJson = z.object({
  policy: z.literal("redact"),
  current: z.string(),
  snapshots: z.array(z.looseObject({ id: z.string(), outcome: z.string() })),
});

let copies = 0;
/** A fresh copy of the data dir with the vault's token planted in every snapshot. */
function plantedDataDir(): string {
  const dir = join(scratch.path, `data-${copies++}`);
  copyTree(appliance.dataDir, dir);
  for (const id of SNAPSHOTS)
    writeFileSync(join(dir, id, "connect.env"), `GITHUB_CONNECT_TOKEN=${appliance.secrets.token}\n`);
  return dir;
}

function outcomes(stdout: string): Record<string, string> {
  const parsed = hookJson.parse(JSON.parse(stdout));
  return Object.fromEntries(parsed.snapshots.map((entry) => [entry.id, entry.outcome]));
}

async function expectAllClean(dataDir: string): Promise<void> {
  for (const id of SNAPSHOTS) {
    expect(readFileSync(join(dataDir, id, "connect.env"), "utf8"), id).not.toContain(appliance.secrets.token);
    expect(existsSync(join(dataDir, id, "connect-ops-hook.json")), id).toBe(true);
  }
  const scan = await spawnCli(["backup", "scan", dataDir], appliance.env);
  expect(scan.code, scan.stdout + scan.stderr).toBe(0);
}

describe("backup hook over every retained snapshot", () => {
  it("redacts every snapshot, not only current, then skips them all on the next run", async () => {
    const dataDir = plantedDataDir();
    const first = await spawnCli(["--json", "backup", "hook", "--data-dir", dataDir], appliance.env);
    expect(first.code, first.stderr).toBe(0);
    expect(outcomes(first.stdout)).toEqual(Object.fromEntries(SNAPSHOTS.map((id) => [id, "processed"])));
    await expectAllClean(dataDir);
    const second = await spawnCli(["--json", "backup", "hook", "--data-dir", dataDir], appliance.env);
    expect(second.code, second.stderr).toBe(0);
    expect(outcomes(second.stdout)).toEqual(Object.fromEntries(SNAPSHOTS.map((id) => [id, "already-processed"])));
  });

  it("a new snapshot after a run is processed; the marked ones are not", async () => {
    const dataDir = plantedDataDir();
    // --quiet, as cron runs it: a hook that succeeded prints nothing at all (no mail).
    const quiet = await spawnCli(["--quiet", "backup", "hook", "--data-dir", dataDir], appliance.env);
    expect(quiet.code, quiet.stderr).toBe(0);
    expect(`${quiet.stdout}${quiet.stderr}`).toBe("");
    await expectAllClean(dataDir);
    const next = "20240104T000000";
    copyTree(join(appliance.dataDir, SNAPSHOTS[0]), join(dataDir, next));
    writeFileSync(join(dataDir, next, "connect.env"), `token ${appliance.secrets.token}\n`);
    const run = await spawnCli(["--json", "backup", "hook", "--data-dir", dataDir], appliance.env);
    expect(run.code, run.stderr).toBe(0);
    expect(outcomes(run.stdout)).toMatchObject({ [SNAPSHOTS[0]]: "already-processed", [next]: "processed" });
    expect(readFileSync(join(dataDir, next, "connect.env"), "utf8")).not.toContain(appliance.secrets.token);
  });

  it("skips an older incomplete snapshot (a failed backup) and says so", async () => {
    const dataDir = plantedDataDir();
    writeFileSync(join(dataDir, SNAPSHOTS[0], "incomplete"), "");
    const run = await spawnCli(["--json", "backup", "hook", "--data-dir", dataDir], appliance.env);
    expect(run.code, run.stderr).toBe(0);
    expect(outcomes(run.stdout)).toMatchObject({ [SNAPSHOTS[0]]: "skipped-incomplete", [SNAPSHOTS[2]]: "processed" });
    expect(existsSync(join(dataDir, SNAPSHOTS[0], "connect-ops-hook.json"))).toBe(false);
  });

  const checkpoints = SNAPSHOTS.flatMap((id) => [
    { point: `backup-hook:before:${id}`, id, marked: false },
    { point: `backup-hook:processed:${id}`, id, marked: false },
    { point: `backup-hook:marked:${id}`, id, marked: true },
  ]);
  for (const { point, id, marked } of checkpoints) {
    it(`SIGKILL at ${point}: the re-run ${marked ? "skips" : "reprocesses"} ${id} and finishes every snapshot`, async () => {
      const dataDir = plantedDataDir();
      const killed = await hooked.run(["--json", "backup", "hook", "--data-dir", dataDir], {
        ...appliance.env,
        CONNECT_OPS_FAULT_CRASH_AT: point,
      });
      expect(killed.signal, killed.stderr).toBe("SIGKILL");
      const index = SNAPSHOTS.indexOf(id);
      // Nothing after the kill point was touched: the later snapshots still hold the token.
      for (const later of SNAPSHOTS.slice(index + 1))
        expect(readFileSync(join(dataDir, later, "connect.env"), "utf8")).toContain(appliance.secrets.token);
      expect(existsSync(join(dataDir, id, "connect-ops-hook.json"))).toBe(marked);
      const rerun = await spawnCli(["--json", "backup", "hook", "--data-dir", dataDir], appliance.env);
      expect(rerun.code, rerun.stderr).toBe(0);
      const seen = outcomes(rerun.stdout);
      for (const earlier of SNAPSHOTS.slice(0, index)) expect(seen[earlier], earlier).toBe("already-processed");
      expect(seen[id]).toBe(marked ? "already-processed" : "processed");
      for (const later of SNAPSHOTS.slice(index + 1)) expect(seen[later], later).toBe("processed");
      await expectAllClean(dataDir);
    });
  }
});
