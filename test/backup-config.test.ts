import { startGitHubSim, type GitHubSim } from "@connect-ops/github-sim";
import { connectedAppliance, spawnCli, testdirSync, type Appliance } from "@connect-ops/test-support";
import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// Issue 16 item 4: the hook reads backup-utils' backup.config as data (never sourced), in backup-utils' lookup order.

const scratch = testdirSync({ prefix: "e2e-backup-config-" });
let sim: GitHubSim;
let appliance: Appliance;
const home = join(scratch.path, "home");

beforeAll(async () => {
  sim = await startGitHubSim();
  appliance = await connectedAppliance({ dir: join(scratch.path, "appliance"), cloud: sim, connectOps: spawnCli });
  mkdirSync(home, { recursive: true });
});

afterAll(async () => {
  await sim.close();
  scratch[Symbol.dispose]();
});

/** The appliance's env with a HOME of our own and no backup-utils variables, so the lookup sees only what a test puts there. */
function env(extra: Record<string, string> = {}): Record<string, string> {
  return { ...appliance.env, HOME: home, GHE_BACKUP_CONFIG: "", GHE_BACKUP_ROOT: "", ...extra };
}

describe("backup hook and backup.config", () => {
  it("takes GHE_DATA_DIR from --backup-config", async () => {
    const config = join(scratch.path, "backup.config");
    writeFileSync(
      config,
      `# backup-utils\nGHE_HOSTNAME="ghes.example.com"\nGHE_DATA_DIR="${appliance.dataDir}"\nGHE_NUM_SNAPSHOTS=10\n`,
    );
    const run = await spawnCli(["--json", "backup", "hook", "--backup-config", config], env());
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ policy: "redact" });
  });

  it("finds ~/.github-backup-utils/backup.config as backup-utils does when no flag names the data dir", async () => {
    mkdirSync(join(home, ".github-backup-utils"), { recursive: true });
    writeFileSync(join(home, ".github-backup-utils", "backup.config"), `GHE_DATA_DIR='${appliance.dataDir}'\n`);
    const run = await spawnCli(["backup", "hook"], env());
    expect(run.code, run.stderr).toBe(0);
  });

  it.each([
    ["a command substitution", "GHE_DATA_DIR=$(touch PWNED)\n", "2:14: command substitution $(…) is not read"],
    ["backticks", "GHE_DATA_DIR=`touch PWNED`\n", "2:14: command substitution `…` is not read"],
    ["an unterminated quote", 'GHE_DATA_DIR="/data\n', '2:14: unterminated "…" string'],
  ])(
    "refuses a config with %s: exit 2 with the line and column, nothing run or changed",
    async (_what, line, where) => {
      const config = join(scratch.path, "hostile.config");
      writeFileSync(config, `# hostile\n${line}`);
      const before = readdirSync(scratch.path).sort();
      const run = await spawnCli(["backup", "hook", "--backup-config", config], { ...env(), PWD: scratch.path });
      expect(run.stderr).toContain("error[BACKUP_CONFIG_INVALID]");
      expect(run.stderr).toContain(`${config}:${where}`);
      expect(run.code).toBe(2);
      expect(readdirSync(scratch.path).sort()).toEqual(before);
    },
  );

  it("says where it looked when there is no --data-dir and no backup.config", async () => {
    const empty = join(scratch.path, "empty-home");
    mkdirSync(empty, { recursive: true });
    const run = await spawnCli(["backup", "hook"], env({ HOME: empty }));
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("no backup.config where backup-utils looks for one");
    expect(run.stderr).toContain("/etc/github-backup-utils/backup.config");
  });
});
