import { execFileSync } from "node:child_process";
import { existsSync, rmSync } from "node:fs";
import { dirname } from "node:path";
import { describe, expect, it } from "vitest";
import { spawnCli } from "@connect-ops/test-support";

interface Transcript {
  ok: boolean;
  sandbox: string | null;
  report: string;
  signature: string;
  publicKey: string;
  verdict: string;
  steps: { name: string; ok: boolean; exitCode: number }[];
}

const STEPS = [
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
];

function expectCleanSignedRun(transcript: Transcript): void {
  expect(transcript.ok).toBe(true);
  expect(transcript.steps.map((step) => step.name)).toEqual(STEPS);
  expect(transcript.steps.every((step) => step.ok && step.exitCode === 0)).toBe(true);
  expect(transcript.verdict).toBe("clean");
  // The report outlives the sandbox, and openssl alone checks its signature.
  const verified = execFileSync("openssl", [
    "pkeyutl",
    "-verify",
    "-pubin",
    "-inkey",
    transcript.publicKey,
    "-rawin",
    "-in",
    transcript.report,
    "-sigfile",
    transcript.signature,
  ]);
  expect(verified.toString()).toContain("Signature Verified Successfully");
}

describe("connect-ops demo", () => {
  it("runs every step of the lifecycle, ends clean with a valid signature, and leaves only the report", async () => {
    const run = await spawnCli(["--json", "demo"]);
    expect(run.code).toBe(0);
    const transcript = JSON.parse(run.stdout) as Transcript;
    expectCleanSignedRun(transcript);
    expect(transcript.sandbox).toBeNull();
    expect(existsSync(transcript.report)).toBe(true);
    rmSync(dirname(transcript.report), { recursive: true, force: true });
  });

  it("runs twice at once in separate sandboxes, both clean", async () => {
    const runs = await Promise.all([spawnCli(["--json", "demo", "--keep"]), spawnCli(["--json", "demo", "--keep"])]);
    const transcripts = runs.map((run) => {
      expect(run.code).toBe(0);
      return JSON.parse(run.stdout) as Transcript;
    });
    for (const transcript of transcripts) expectCleanSignedRun(transcript);
    expect(transcripts[0]?.sandbox).not.toBe(transcripts[1]?.sandbox);
    for (const transcript of transcripts) {
      expect(existsSync(`${transcript.sandbox}/primary/state/journal/disconnect.json`)).toBe(true);
      rmSync(transcript.sandbox as string, { recursive: true, force: true });
    }
  });

  it("narrates each step for a person, without colour when not on a terminal", async () => {
    const run = await spawnCli(["demo"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^1\. Create the primary's state directory/m);
    expect(run.stdout).toContain("replica-1");
    expect(run.stdout).toMatch(/^Verdict: clean/m);
    expect(run.stdout).not.toContain("\u001b[");
    const report = /The signed audit report is (\S+) /.exec(run.stdout)?.[1];
    expect(report).toBeDefined();
    rmSync(dirname(report as string), { recursive: true, force: true });
  });
});
