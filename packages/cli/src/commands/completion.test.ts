import { execFileSync, spawnSync } from "node:child_process";
import { testdirSync } from "@connect-ops/test-support";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../test-support/run-cli.js";

const scratchDir = testdirSync({ prefix: "cli-completion-" });
const scratch = scratchDir.path;
afterAll(() => scratchDir[Symbol.dispose]());
writeFileSync(join(scratch, "inventory.json"), "{}");

const hasZsh = spawnSync("zsh", ["-fc", "true"]).status === 0;

/** The commands and flags `--help` lists, read from the help text itself (not from the program). */
async function helpListing(argv: string[]): Promise<{ commands: string[]; flags: string[] }> {
  const { stdout } = await runCli([...argv, "--help"]);
  const section = (title: string) => (stdout.split(`${title}:\n`)[1] ?? "").split("\n\n")[0] ?? "";
  const commands = [...section("Commands").matchAll(/^ {2}([a-z-]+)/gm)].map((match) => match[1] as string);
  const flags = [...section("Options").matchAll(/--[a-z-]+/g)].map((match) => match[0]);
  return { commands, flags };
}

async function script(shell: "bash" | "zsh"): Promise<string> {
  const run = await runCli(["completion", shell]);
  expect(run.code).toBe(0);
  const file = join(scratch, `completion.${shell}`);
  writeFileSync(file, run.stdout);
  return file;
}

/** Completes `words` (the last one is the word under the cursor) in bash, as readline would. */
function completeInBash(file: string, words: string[]): string[] {
  const driver = `source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(( $# - 1 )); _connect_ops; printf '%s\\n' "\${COMPREPLY[@]}"`;
  const out = execFileSync("bash", ["-c", driver, "bash", file, "connect-ops", ...words], { cwd: scratch }).toString();
  return out.split("\n").filter(Boolean);
}

/** The same in zsh, with the completion system's builtins replaced by printers. */
function completeInZsh(file: string, words: string[]): string[] {
  const driver = [
    "compdef() { :; }",
    '_describe() { local -a list; list=("${(@P)4}"); print -l -- "${(@)list%%:*}"; }',
    'compadd() { shift; print -l -- "$@"; }',
    '_files() { print -- "<files $*>"; }',
    'source "$1"; shift',
    'words=(connect-ops "$@"); CURRENT=${#words}; PREFIX="${words[CURRENT]}"',
    "_connect-ops",
  ].join("\n");
  const out = execFileSync("zsh", ["-fc", driver, "zsh", file, ...words], { cwd: scratch }).toString();
  return out
    .split("\n")
    .filter(Boolean)
    .filter((entry) => entry.startsWith("<") || entry.startsWith(words.at(-1) ?? ""));
}

describe("connect-ops completion", () => {
  let bash: string;
  beforeAll(async () => {
    bash = await script("bash");
  });

  it("registers a bash completion function when sourced", () => {
    expect(execFileSync("bash", ["-c", 'source "$1" && complete -p connect-ops', "bash", bash]).toString().trim()).toBe(
      "complete -F _connect_ops connect-ops",
    );
  });

  it("offers every command --help lists, and every subcommand of backup", async () => {
    const root = await helpListing([]);
    expect(root.commands).toContain("completion");
    expect(completeInBash(bash, [""]).sort()).toEqual([...root.commands].sort());
    const backup = await helpListing(["backup"]);
    expect(completeInBash(bash, ["backup", ""]).sort()).toEqual([...backup.commands].sort());
  });

  it.each([
    ["init"],
    ["connect"],
    ["status"],
    ["replicate"],
    ["failover-check"],
    ["backup", "scan"],
    ["backup", "hook"],
    ["verify-cleanup"],
  ])("offers every flag that `%s --help` lists, plus the global ones", async (...path: string[]) => {
    const { flags } = await helpListing(path);
    const offered = completeInBash(bash, [...path, "--"]);
    for (const flag of flags) expect(offered).toContain(flag);
    expect(offered).toContain("--state-dir");
    expect(offered).toContain("--json");
  });

  it("completes flag values: choices, files, and nothing after a switch's value-less flag", () => {
    expect(completeInBash(bash, ["--log-level", "de"])).toEqual(["debug"]);
    expect(completeInBash(bash, ["backup", "hook", "--policy", ""])).toEqual(["include", "redact"]);
    expect(completeInBash(bash, ["replicate", "--inventory", "inv"])).toEqual(["inventory.json"]);
    expect(completeInBash(bash, ["--state-dir", "/tmp/x", "repl"])).toEqual(["replicate"]);
    expect(completeInBash(bash, ["replicate", "--dry-run", "--no"])).toContain("--nodes");
    expect(completeInBash(bash, ["completion", ""])).toEqual(["bash", "zsh"]);
    expect(completeInBash(bash, ["help", "ver"])).toEqual(["verify-cleanup", "verify-report"]);
    expect(completeInBash(bash, ["backup", "scan", "inv"])).toEqual(["inventory.json"]);
  });

  it("refuses another shell with exit 2", async () => {
    const run = await runCli(["completion", "fish"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("error[CLI_USAGE]");
  });

  it.runIf(hasZsh)("gives zsh the same answers, with the file autoloadable from $fpath", async () => {
    const zsh = await script("zsh");
    expect(execFileSync("zsh", ["-n", zsh]).toString()).toBe("");
    expect(
      execFileSync("zsh", [
        "-fc",
        'autoload -U compinit && compinit -u -D && source "$1" && print -r -- "$_comps[connect-ops]"',
        "zsh",
        zsh,
      ])
        .toString()
        .trim(),
    ).toBe("_connect-ops");
    expect(completeInZsh(zsh, ["backup", "s"])).toEqual(["scan"]);
    expect(completeInZsh(zsh, ["backup", "hook", "--policy", ""])).toEqual(["include", "redact"]);
    expect(completeInZsh(zsh, ["replicate", "--inventory", ""])).toEqual(["<files >"]);
    expect(completeInZsh(zsh, ["--state-dir", ""])).toEqual(["<files -/>"]);
    expect(completeInZsh(zsh, ["token", "--m"])).toEqual(["--min-ttl"]);
  });

  it("prints a zsh script with the #compdef header even without zsh installed", async () => {
    const run = await runCli(["completion", "zsh"]);
    expect(run.stdout.split("\n")[0]).toBe("#compdef connect-ops");
    expect(run.stdout).toContain("compdef _connect-ops connect-ops");
  });
});
