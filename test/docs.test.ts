import * as backup from "@connect-ops/backup-hooks";
import * as core from "@connect-ops/connection-core";
import * as vault from "@connect-ops/credential-vault";
import * as replication from "@connect-ops/replication";
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import * as z from "zod";
import { beforeAll, describe, expect, it } from "vitest";
import { buildJsonSchemas } from "../tools/docs/json-schemas.mjs";
import { spawnCli } from "@connect-ops/test-support";
import { docCommands, fencedBlocks, isExecutedBlock, markdownFiles, ROOT } from "./support/docs-commands.js";
import { cliGrammar, createDocParser } from "./support/docs-grammar.js";
import { createDocSandbox, expectedExit, runDocLine, shapeDifferences } from "./support/docs-sandbox.js";

const files = markdownFiles();
let parse: ReturnType<typeof createDocParser>;
beforeAll(() => {
  parse = createDocParser(cliGrammar());
});

describe("docs: every connect-ops command line parses with the real CLI", () => {
  it("finds the command lines (README, runbooks, reference)", () => {
    const all = files.flatMap(docCommands);
    expect(all.filter((command) => command.file === "README.md").length).toBeGreaterThan(10);
    expect(all.filter((command) => command.file.startsWith("docs/runbooks/")).length).toBeGreaterThan(20);
    expect(all.filter((command) => command.executed).length).toBeGreaterThan(15);
  });

  it.each(files)("%s: no unknown command, unknown flag, missing value or bad choice", (file) => {
    const failures = docCommands(file).flatMap((command) => {
      const outcome = parse(command.argv);
      // A code span in prose may name a command without its arguments (`connect-ops backup restore`).
      if (outcome.code === undefined || (command.kind === "inline" && outcome.code === "commander.missingArgument"))
        return [];
      return [`${command.file}:${command.line}: ${command.text}\n    ${outcome.message}`];
    });
    expect(failures, failures.join("\n")).toEqual([]);
  });

  it("the parser refuses what the CLI refuses", () => {
    expect(parse(["replicate", "--inventory", "x.json"]).code).toBeUndefined();
    expect(parse(["backup", "scan", "/data", "--json"]).path).toBe("backup scan");
    expect(parse(["replicat"]).code).toBe("commander.unknownCommand");
    expect(parse(["replicate", "--inventroy", "x"]).code).toBe("commander.unknownOption");
    expect(parse(["replicate", "--inventory"]).code).toBe("commander.optionMissingArgument");
    expect(parse(["backup", "hook", "--policy", "keep"]).code).toBe("commander.invalidArgument");
    expect(parse(["verify-report", "a.json", "b.json"]).code).toBe("commander.excessArguments");
    expect(parse(["backup", "restore"]).code).toBe("commander.missingArgument");
  });
});

describe("docs: README", () => {
  it("starts with the two commands", () => {
    const first = fencedBlocks("README.md")[0];
    expect(first?.lines.map((line) => line.replace(/\s+#.*$/, ""))).toEqual([
      "npm ci && npx connect-ops demo",
      "npm test",
    ]);
  });

  it("`npx connect-ops demo` runs the whole lifecycle: every step ok, verdict clean", async () => {
    const run = await spawnCli(["--json", "demo"]);
    expect(run.code, run.stderr).toBe(0);
    const transcript = JSON.parse(run.stdout) as {
      ok: boolean;
      verdict: string;
      report: string;
      steps: Array<{ name: string; ok: boolean }>;
    };
    rmSync(dirname(transcript.report), { recursive: true, force: true }); // the demo leaves its signed report for the operator
    expect(transcript.ok).toBe(true);
    expect(transcript.verdict).toBe("clean");
    expect(transcript.steps.map((step) => step.name)).toEqual([
      "init",
      "connect",
      "token",
      "node enroll",
      "replicate",
      "failover-check",
      "backup include",
      "disconnect",
      "verify-cleanup",
      "verify-report",
    ]);
    expect(transcript.steps.every((step) => step.ok)).toBe(true);
  });
});

describe("docs: ```sh sandbox blocks run as written", () => {
  const executedFiles = files.filter((file) => fencedBlocks(file).some(isExecutedBlock));

  it.each(executedFiles)(
    "%s: every line exits as documented; every ```json output matches the printed shape",
    async (file) => {
      await using sandbox = await createDocSandbox();
      const blocks = fencedBlocks(file);
      const problems: string[] = [];
      for (const [index, block] of blocks.entries()) {
        if (!isExecutedBlock(block)) continue;
        const lines = block.lines
          .join("\n")
          .replaceAll("\\\n", " ")
          .split("\n")
          .filter((line) => line.trim() !== "" && !line.trim().startsWith("#"));
        let stdout = "";
        for (const line of lines) {
          const run = await runDocLine(sandbox, line);
          stdout = run.stdout;
          if (run.code !== expectedExit(line))
            problems.push(
              `${file}:${block.line}: \`${line}\` exited ${run.code}, documented ${expectedExit(line)}\n${run.stderr}`,
            );
        }
        const next = blocks[index + 1];
        if (next?.info[0] === "json" && next.info.includes("output")) {
          const documented: unknown = JSON.parse(next.lines.join("\n"));
          for (const difference of shapeDifferences(documented, JSON.parse(stdout)))
            problems.push(`${file}:${next.line}: ${difference}`);
        }
      }
      expect(problems, problems.join("\n")).toEqual([]);
    },
  );
});

describe("docs: generated reference is current", () => {
  it("docs/reference/commands.md is the CLI's --help", () => {
    execFileSync(process.execPath, [join(ROOT, "tools", "docs", "generate-reference.mjs"), "--check"], {
      stdio: ["ignore", "ignore", "pipe"],
    });
  });

  it("docs/reference/schemas/*.json are the zod schemas", () => {
    for (const { file, json } of buildJsonSchemas({ z, core, vault, replication, backup })) {
      const path = join(ROOT, "docs", "reference", "schemas", file);
      expect(
        existsSync(path) ? readFileSync(path, "utf8") : "",
        `${file} is stale: run node tools/docs/generate-schemas.mjs`,
      ).toBe(json);
    }
  });

  it("every relative link in README.md and docs/ points at a file that exists", () => {
    const broken = files.flatMap((file) =>
      [...readFileSync(join(ROOT, file), "utf8").matchAll(/\]\(([^)#\s]+)(#[^)]*)?\)/g)]
        .map((match) => match[1] as string)
        .filter((target) => !/^[a-z]+:/.test(target) && !existsSync(join(ROOT, dirname(file), target)))
        .map((target) => `${file}: ${target}`),
    );
    expect(broken).toEqual([]);
  });
});

describe("CLI finish: help examples and plain output", () => {
  const grammar = () => cliGrammar().filter((node) => node.path !== "" && node.path.split(" ").at(-1) !== "help");

  it("every command's --help shows a realistic connect-ops example", async () => {
    const missing: string[] = [];
    for (const node of grammar()) {
      const { stdout } = await spawnCli([...node.path.split(" "), "--help"]);
      if (!/^Examples?\b.*:$/m.test(stdout) || !stdout.includes(`connect-ops ${node.path.split(" ")[0]}`))
        missing.push(node.path);
    }
    expect(missing).toEqual([]);
  });

  describe("NO_COLOR and a non-TTY stdout: no escape sequence anywhere", () => {
    const escape = "\x1b[";
    let sandbox: Awaited<ReturnType<typeof createDocSandbox>>;
    beforeAll(async () => {
      sandbox = await createDocSandbox();
      // The teardown: registered only once the sandbox exists.
      return () => sandbox[Symbol.asyncDispose]();
    });

    it.each([
      ["with NO_COLOR", { NO_COLOR: "1" }],
      ["without NO_COLOR (pipes only)", { NO_COLOR: undefined }],
    ])("%s", async (_label, colour) => {
      const env = { ...sandbox.env, ...colour };
      const runs = [
        await spawnCli(["--help"], env),
        await spawnCli(["demo"], env),
        await spawnCli(["--log-level", "debug", "status", "--offline"], env),
        await spawnCli(["replicate", "--inventory", "missing.json"], env),
        await spawnCli(["backup", "scan", join(sandbox.dir, "backup-data"), "--fingerprints", "nope.json"], env),
        await spawnCli(["nope"], env),
      ];
      expect(runs[1]?.code, runs[1]?.stderr).toBe(0);
      for (const run of runs) {
        expect(run.stdout.includes(escape), `stdout of ${run.argv.join(" ")}`).toBe(false);
        expect(run.stderr.includes(escape), `stderr of ${run.argv.join(" ")}`).toBe(false);
      }
    });
  });
});
