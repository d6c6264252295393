import { spawnCli, testdirSync } from "@connect-ops/test-support";
import { spawnSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

// Issue 16 item 3: the scheduled jobs as systemd units (checked by the real systemd-analyze) and as cron lines.

const scratch = testdirSync({ prefix: "e2e-schedule-" });
const stateDir = join(scratch.path, "state dir"); // a space: the units must quote it
const inventory = join(scratch.path, "inventory.json");
const dataDir = join(scratch.path, "backup-data");
mkdirSync(stateDir, { recursive: true });
mkdirSync(dataDir, { recursive: true });
writeFileSync(inventory, JSON.stringify({ nodes: [] }));
const env = { CONNECT_OPS_STATE_DIR: stateDir };

afterAll(() => scratch[Symbol.dispose]());

/** `systemd-analyze verify` on the files: it checks syntax, directives and that every ExecStart binary exists. */
function verify(paths: readonly string[]): { status: number | null; output: string } {
  const run = spawnSync("systemd-analyze", ["verify", ...paths], { encoding: "utf8" });
  return { status: run.status, output: run.stdout + run.stderr };
}

describe("connect-ops schedule systemd", () => {
  it("writes hardened services and timers that systemd-analyze verify accepts", async () => {
    const out = join(scratch.path, "units-full");
    const run = await spawnCli(
      ["schedule", "systemd", "--out", out, "--user", "root", "--inventory", inventory, "--data-dir", dataDir],
      env,
    );
    expect(run.code, run.stderr).toBe(0);
    const names = readdirSync(out).sort();
    expect(names).toEqual([
      "connect-ops-backup-hook.service",
      "connect-ops-failover-check.service",
      "connect-ops-failover-check.timer",
      "connect-ops-metrics.service",
      "connect-ops-metrics.timer",
      "connect-ops-token.service",
      "connect-ops-token.timer",
      "ghe-backup.service.d",
    ]);
    const units = names
      .filter((name) => name.endsWith(".service") || name.endsWith(".timer"))
      .map((name) => join(out, name));
    const verdict = verify(units);
    expect(verdict.output).toBe("");
    expect(verdict.status).toBe(0);
    const token = readFileSync(join(out, "connect-ops-token.service"), "utf8");
    expect(token).toContain("ProtectSystem=strict");
    expect(token).toContain("NoNewPrivileges=yes");
    expect(token).toContain(`ReadWritePaths="${stateDir}"`);
    expect(token).toMatch(
      /^ExecStart=.* --state-dir ".*state dir" token --min-ttl 15m --replicate --inventory .*inventory\.json$/m,
    );
    expect(token.match(/^ExecStart=/gm)).toHaveLength(1);
    expect(readFileSync(join(out, "connect-ops-token.timer"), "utf8")).toContain("OnCalendar=*:0/5");
    expect(readFileSync(join(out, "connect-ops-failover-check.timer"), "utf8")).toContain("OnCalendar=*:0/15");
    expect(readFileSync(join(out, "ghe-backup.service.d", "50-connect-ops.conf"), "utf8")).toContain(
      "ExecStartPost=/bin/systemctl start connect-ops-backup-hook.service",
    );
  });

  it("writes only the token and metrics jobs for a standalone appliance", async () => {
    const out = join(scratch.path, "units-standalone");
    const run = await spawnCli(["schedule", "systemd", "--out", out, "--user", "root"], env);
    expect(run.code, run.stderr).toBe(0);
    expect(readdirSync(out).sort()).toEqual([
      "connect-ops-metrics.service",
      "connect-ops-metrics.timer",
      "connect-ops-token.service",
      "connect-ops-token.timer",
    ]);
    expect(verify(readdirSync(out).map((name) => join(out, name))).status).toBe(0);
    expect(readFileSync(join(out, "connect-ops-token.service"), "utf8")).not.toContain("replicate");
  });

  it("would be caught by systemd-analyze if it named a binary that does not exist (the check is real)", async () => {
    const out = join(scratch.path, "units-bad-bin");
    const fake = join(scratch.path, "not-executable");
    writeFileSync(fake, "");
    const run = await spawnCli(["schedule", "systemd", "--out", out, "--user", "root", "--bin", fake], env);
    expect(run.code, run.stderr).toBe(0);
    const verdict = verify([join(out, "connect-ops-token.service")]);
    expect(verdict.status).not.toBe(0);
    expect(verdict.output).toContain("is not executable");
  });

  it("refuses a path that does not exist and a bad user: exit 2, nothing written", async () => {
    const out = join(scratch.path, "units-refused");
    const missing = await spawnCli(
      ["schedule", "systemd", "--out", out, "--inventory", join(scratch.path, "nope.json")],
      env,
    );
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("--inventory");
    const badUser = await spawnCli(["schedule", "systemd", "--out", out, "--user", "Robert'); DROP"], env);
    expect(badUser.code).toBe(2);
    expect(spawnSync("test", ["-e", out]).status).not.toBe(0);
  });
});

describe("connect-ops schedule cron", () => {
  it("prints /etc/cron.d lines with the user column, each command --quiet so only failures are mailed", async () => {
    const run = await spawnCli(["schedule", "cron", "--user", "admin", "--inventory", inventory], env);
    expect(run.code, run.stderr).toBe(0);
    const lines = run.stdout.split("\n").filter((line) => /^[*0-9]/.test(line));
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(
      /^\*\/5 \* \* \* \* admin .*connect-ops\.js'? --quiet --state-dir .* token --min-ttl 15m --replicate --inventory [^&]*$/,
    );
    expect(lines[1]).toMatch(/^\*\/15 \* \* \* \* admin .* --quiet .* failover-check --inventory /);
    expect(run.stdout).not.toContain("/dev/null");
    expect(lines[2]).toMatch(
      /^\* \* \* \* \* admin .* metrics --out \/var\/lib\/prometheus\/node-exporter\/connect_ops\.prom/,
    );
    expect(run.stdout).toContain(`'${stateDir}'`);
  });
});
