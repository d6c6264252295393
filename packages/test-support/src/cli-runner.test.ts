import { describe, expect, it } from "vitest";
import { cliTranscript, spawnCli } from "./cli-runner.js";
import { snapshotCli } from "./cli-snapshot.js";
import { testdir } from "./testdir.js";

// A stand-in bin: the runner's contract does not depend on what the CLI does.
const ECHO_BIN = `
let input = "";
process.stdin.on("data", (chunk) => (input += chunk));
process.stdin.on("end", () => {
  process.stdout.write(JSON.stringify({ argv: process.argv.slice(2), cwd: process.cwd(), marker: process.env.MARKER ?? null, removed: process.env.REMOVED ?? null, noColor: process.env.NO_COLOR, input }));
  process.stderr.write("to stderr");
  process.exitCode = Number(process.argv[2] ?? 0);
});
`;

describe("spawnCli", () => {
  it("runs a bin with env, stdin and cwd and resolves with its code and output", async () => {
    await using dir = await testdir({ files: { "bin.js": ECHO_BIN, "work/.keep": "" } });
    process.env.REMOVED = "present";
    try {
      const run = await spawnCli(
        ["3", "--json"],
        { MARKER: "m1", REMOVED: undefined },
        { bin: dir.join("bin.js"), stdin: "piped in", cwd: dir.join("work") },
      );
      expect(run.code).toBe(3);
      expect(run.signal).toBeNull();
      expect(JSON.parse(run.stdout)).toEqual({
        argv: ["3", "--json"],
        cwd: dir.join("work"),
        marker: "m1",
        removed: null,
        noColor: "1",
        input: "piped in",
      });
      expect(run.stderr).toBe("to stderr");
      expect(run.killedByRunner).toBe(false);
      expect(cliTranscript.at(-1)).toBe(run);
    } finally {
      delete process.env.REMOVED;
    }
  });

  it("runs an executable as it is with exactly the env given when inheritEnv is false", async () => {
    await using dir = await testdir({
      files: {
        "artifact.sh": {
          content: '#!/bin/sh\necho "$# $1 ${HOME:-none} ${MARKER:-none} ${NO_COLOR:-none}"\n',
          mode: 0o755,
        },
      },
    });
    const run = await spawnCli(
      ["--version"],
      { MARKER: "m2" },
      { executable: dir.join("artifact.sh"), inheritEnv: false },
    );
    expect(run).toMatchObject({ code: 0, stdout: "1 --version none m2 none\n", argv: ["--version"] });
  });

  it("SIGKILLs the child after killAfterMs and says it did", async () => {
    await using dir = await testdir({ files: { "forever.js": "setInterval(() => {}, 1000);\n" } });
    const run = await spawnCli([], {}, { bin: dir.join("forever.js"), killAfterMs: 20 });
    expect(run.signal).toBe("SIGKILL");
    expect(run.code).toBeNull();
    expect(run.killedByRunner).toBe(true);
  });

  it("SIGKILLs the child once killWhen matches its output", async () => {
    await using dir = await testdir({
      files: { "chatty.js": `process.stderr.write("node replicated\\n"); setInterval(() => {}, 1000);\n` },
    });
    const run = await spawnCli(
      [],
      {},
      { bin: dir.join("chatty.js"), killWhen: ({ stderr }) => stderr.includes("node replicated") },
    );
    expect(run).toMatchObject({ signal: "SIGKILL", killedByRunner: true, stderr: "node replicated\n" });
  });

  it("rejects when the hang guard fires", async () => {
    await using dir = await testdir({ files: { "forever.js": "setInterval(() => {}, 1000);\n" } });
    await expect(spawnCli(["token"], {}, { bin: dir.join("forever.js"), hangGuardMs: 20 })).rejects.toThrow(
      /connect-ops token hung for 20 ms/,
    );
  });

  it("rejects when the process cannot be spawned", async () => {
    await using dir = await testdir();
    await expect(spawnCli([], {}, { bin: "x", cwd: dir.join("missing") })).rejects.toThrow(/ENOENT/);
  });
});

describe("snapshotCli", () => {
  const cliTree = (chunk: string) => ({
    "bin/connect-ops.js": `import("../dist/bundle/main.mjs");\n`,
    "dist/bundle/main.mjs": `await import("./chunks/${chunk}.mjs");\n`,
    "dist/bundle/chunks/late-abc.mjs": `process.stdout.write("from the copy " + process.argv.slice(2).join(" "));\n`,
    "package.json": `{ "type": "module" }\n`,
  });

  it("runs a private copy that keeps working after the original bundle is gone", async () => {
    await using cli = await testdir({ files: cliTree("late-abc") });
    await using snapshot = await snapshotCli({ cliDir: cli.path });
    await cli[Symbol.asyncDispose]();
    expect(snapshot.bin).not.toContain(cli.path);
    const run = await snapshot.run(["status"], { MARKER: "x" });
    expect(run).toMatchObject({ code: 0, stdout: "from the copy status" });
  });

  it("refuses a bundle whose chunks are missing (a copy taken mid-rebuild), after retrying", async () => {
    await using cli = await testdir({ files: cliTree("gone-123") });
    await expect(snapshotCli({ cliDir: cli.path, retryDelayMs: 0 })).rejects.toThrow(/never became complete/);
  });
});
