import { Command } from "commander";
import { describe, expect, it } from "vitest";
import type { CommandRunner } from "../context.js";
import { COMMANDS } from "./registry.js";

// Issue 15, item 3: every command that touches nodes takes the same node flags, and only a command
// that writes to nodes takes --accept-new-host-keys (a hint can never name a flag the command lacks).

const WRITERS = ["replicate", "node enroll", "disconnect", "token", "rekey", "rotate-key", "shred"];

function commandsByPath(): Map<string, Command> {
  const program = new Command("connect-ops");
  const run: CommandRunner = () => Promise.resolve();
  for (const register of COMMANDS) register(program, run);
  const all = new Map<string, Command>();
  const visit = (command: Command, prefix: string): void => {
    for (const sub of command.commands) {
      const path = prefix === "" ? sub.name() : `${prefix} ${sub.name()}`;
      all.set(path, sub);
      visit(sub, path);
    }
  };
  visit(program, "");
  return all;
}

const flagsOf = (command: Command): string[] => command.options.map((option) => option.long ?? "");

describe("node flags", () => {
  // `schedule` only writes the inventory's path into the units it generates; it never reaches a node.
  const nodeCommands = [...commandsByPath()].filter(
    ([path, command]) => flagsOf(command).includes("--inventory") && !path.startsWith("schedule "),
  );

  it("are taken by every command that reads or writes nodes", () => {
    expect(nodeCommands.map(([path]) => path).sort()).toEqual(
      [
        "backup restore",
        "check",
        "disconnect",
        "doctor",
        "failover-check",
        "metrics",
        "node enroll",
        "rekey",
        "replicate",
        "rotate-key",
        "shred",
        "status",
        "token",
        "verify-cleanup",
      ].sort(),
    );
  });

  it.each(nodeCommands)("%s takes the whole set, and --accept-new-host-keys only when it writes", (path, command) => {
    const flags = flagsOf(command);
    expect(flags).toEqual(
      expect.arrayContaining(["--inventory", "--cluster-conf", "--identity-file", "--known-hosts"]),
    );
    expect(flags.includes("--accept-new-host-keys")).toBe(WRITERS.includes(path));
  });
});
