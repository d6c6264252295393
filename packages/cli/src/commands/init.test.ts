import { execFileSync } from "node:child_process";
import { parseJsonOutput, spawnCli, testdirSync } from "@connect-ops/test-support";
import { chmodSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import * as z from "zod";
import { runCli } from "../test-support/run-cli.js";

const scratchDir = testdirSync({ prefix: "cli-init-" });
const scratch = scratchDir.path;
afterAll(() => scratchDir[Symbol.dispose]());
let counter = 0;
const fresh = () => join(scratch, `state-${counter++}`);

describe("connect-ops init", () => {
  it("creates the state dir and an identity that age-keygen accepts, and prints it as JSON", async () => {
    const stateDir = fresh();
    const run = await runCli(["--state-dir", stateDir, "--json", "init"]);
    expect(run.code).toBe(0);
    const printed = JSON.parse(run.stdout) as { stateDir: string; identityFile: string; recipient: string };
    expect(printed.stateDir).toBe(stateDir);
    expect(execFileSync("age-keygen", ["-y", printed.identityFile]).toString().trim()).toBe(printed.recipient);
    expect(statSync(stateDir).mode & 0o777).toBe(0o700);
    expect(run.stdout).not.toContain("AGE-SECRET-KEY");
    expect(run.stderr).not.toContain("AGE-SECRET-KEY");
  });

  it("refuses to initialise twice, exits 2 and changes nothing", async () => {
    const stateDir = fresh();
    await runCli(["--state-dir", stateDir, "init"]);
    const before = readFileSync(join(stateDir, "age-identity.txt"));
    const names = readdirSync(stateDir).sort();
    const again = await runCli([
      "--state-dir",
      stateDir,
      "init",
      "--recipient",
      "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p",
    ]);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/^error\[VAULT_ALREADY_INITIALISED\]: .* — nothing was changed/);
    expect(readFileSync(join(stateDir, "age-identity.txt")).equals(before)).toBe(true);
    expect(readdirSync(stateDir).sort()).toEqual(names);
  });

  it("records recovery recipients and rejects malformed ones with exit 2", async () => {
    const stateDir = fresh();
    const bad = await runCli(["--state-dir", stateDir, "init", "--recipient", "age1nope"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain(
      "error[CORE_INVALID_INPUT]: --recipient is invalid: [0]: expected an age X25519 recipient",
    );
    expect(() => statSync(stateDir)).toThrow();
    const recovery = "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p";
    expect((await runCli(["--state-dir", stateDir, "init", "--recipient", recovery])).code).toBe(0);
    const config = parseJsonOutput(
      z.object({ recoveryRecipients: z.array(z.string()) }),
      readFileSync(join(stateDir, "config.json"), "utf8"),
    );
    expect(config.recoveryRecipients).toEqual([recovery]);
  });

  it("refuses a state dir that is a symlink or writable by others", async () => {
    const real = fresh();
    mkdirSync(real, { mode: 0o700 });
    const link = fresh();
    symlinkSync(real, link);
    const viaLink = await runCli(["--state-dir", link, "init"]);
    expect(viaLink.code).toBe(2);
    expect(viaLink.stderr).toContain("error[VAULT_STATE_DIR_UNSAFE]");
    const open = fresh();
    mkdirSync(open);
    chmodSync(open, 0o777);
    const worldWritable = await runCli(["--state-dir", open, "init"]);
    expect(worldWritable.code).toBe(2);
    expect(worldWritable.stderr).toContain("writable by group or others");
    expect(readdirSync(open)).toEqual([]);
  });

  it("takes the state dir from CONNECT_OPS_STATE_DIR, then XDG_STATE_HOME", async () => {
    const viaEnv = fresh();
    expect((await runCli(["init"], { env: { CONNECT_OPS_STATE_DIR: viaEnv } })).code).toBe(0);
    expect(readdirSync(viaEnv)).toContain("age-identity.txt");
    const xdg = fresh();
    const run = await runCli(["--json", "init"], { env: { XDG_STATE_HOME: xdg } });
    expect(parseJsonOutput(z.object({ stateDir: z.string() }), run.stdout).stateDir).toBe(join(xdg, "connect-ops"));
  });
});

describe("connect-ops (the bin)", () => {
  it("prints its version and help, and exits 2 on an unknown command", async () => {
    expect((await spawnCli(["--version"])).stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    const help = await spawnCli(["--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("Usage: connect-ops");
    const unknown = await spawnCli(["frobnicate"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("error[CLI_USAGE]: unknown command 'frobnicate'");
  });
});
