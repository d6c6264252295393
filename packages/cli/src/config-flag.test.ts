import { Command } from "commander";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { testdirSync } from "@connect-ops/test-support";
import { COMMANDS } from "./commands/registry.js";
import { runCli } from "./test-support/run-cli.js";

// Issue 14, item 8: `--config` is read by every command (it is a global flag), before the command's own flags are
// even checked. The table is every command the registry has, so a new command cannot forget it.

/** Every runnable command path (`backup scan`, `token`, …), from the registry itself. */
function commandPaths(): string[][] {
  const program = new Command("connect-ops");
  for (const register of COMMANDS) register(program, () => Promise.resolve());
  const paths: string[][] = [];
  const walk = (command: Command, prefix: readonly string[]): void => {
    for (const child of command.commands) {
      const path = [...prefix, child.name()];
      if (child.commands.length === 0) paths.push(path);
      else walk(child, path);
    }
  };
  walk(program, []);
  return paths;
}

const PATHS = commandPaths();
const scratch = testdirSync({ prefix: "config-flag-" });
afterAll(() => {
  scratch[Symbol.dispose]();
});
const invalidConfig = join(scratch.path, "invalid.json");
writeFileSync(invalidConfig, '{ "recoveryRecipients": [ }');
const missingConfig = join(scratch.path, "missing.json");

describe("--config on every command", () => {
  it("covers the commands that used to ignore it", () => {
    const names = PATHS.map((path) => path.join(" "));
    expect(names).toEqual(expect.arrayContaining(["token", "status", "backup scan", "connect", "adopt"]));
    expect(PATHS.length).toBeGreaterThan(15);
  });

  for (const [kind, file, code] of [
    ["missing", missingConfig, "CONFIG_NOT_FOUND"],
    ["invalid", invalidConfig, "CONFIG_INVALID"],
  ] as const) {
    it.each(PATHS.map((path) => [path.join(" "), path] as const))(
      `%s: a ${kind} --config exits 2 with ${code}`,
      async (_name, path) => {
        const run = await runCli(["--config", file, ...path], {
          env: { CONNECT_OPS_STATE_DIR: join(scratch.path, "state") },
        });
        const output = run.stdout + run.stderr;
        expect(output).toContain(code);
        expect(output).toContain(file);
        // `check` follows the monitoring-plugin convention: anything it cannot judge is UNKNOWN (3).
        expect(run.code).toBe(path[0] === "check" ? 3 : 2);
      },
    );
  }

  it("names line:column for invalid JSON, in --json too", async () => {
    const run = await runCli(["--json", "--config", invalidConfig, "status", "--offline"], {
      env: { CONNECT_OPS_STATE_DIR: join(scratch.path, "state") },
    });
    expect(run.code).toBe(2);
    expect(JSON.parse(run.stdout)).toMatchObject({
      error: { code: "CONFIG_INVALID", message: expect.stringMatching(/line:column 1:27/) as unknown },
    });
  });

  it("does not hold up --help", async () => {
    const run = await runCli(["--config", missingConfig, "token", "--help"]);
    expect(run.code).toBe(0);
  });
});
