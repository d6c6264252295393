import { startGitHubSim, type GitHubSim } from "@connect-ops/github-sim";
import { connectedAppliance, spawnCli, stringContaining, testdirSync, type Appliance } from "@connect-ops/test-support";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as z from "zod";
import { expectNoLeak } from "./support/leaks.js";

// Issue 13 item 3: an age file under any name, in any layer, is judged by the CLI with the state
// dir's sealed-copy ledger (a known copy, by its SHA-256) and identities (trial-opened in memory,
// the plaintext scanned); any other age file is a gap, never CLEAN. The files are made by the vault
// (connect) and by the real `age` CLI.

const scratch = testdirSync({ prefix: "e2e-age-files-" });
let sim: GitHubSim;
let appliance: Appliance;
let applianceRecipient: string;
const outputs: string[] = [];

beforeAll(async () => {
  sim = await startGitHubSim();
  appliance = await connectedAppliance({ dir: join(scratch.path, "appliance"), cloud: sim, connectOps: spawnCli });
  applianceRecipient = execFileSync("age-keygen", ["-y", join(appliance.stateDir, "age-identity.txt")])
    .toString()
    .trim();
});
afterAll(async () => {
  await sim.close();
  scratch[Symbol.dispose]();
});

const scanJson = z.looseObject({
  findings: z.array(
    z.looseObject({ path: z.string(), form: z.string(), member: z.string().optional(), sha256: z.string().optional() }),
  ),
  gaps: z.array(z.looseObject({ path: z.string(), reason: z.string() })),
});

async function scan(target: string): Promise<{ code: number | null } & z.infer<typeof scanJson>> {
  const run = await spawnCli(["--json", "backup", "scan", target], appliance.env);
  outputs.push(run.stdout, run.stderr);
  return { code: run.code, ...scanJson.parse(JSON.parse(run.stdout)) };
}

/** A fresh directory holding only what `build` writes into it (secrets through files, never argv). */
function caseDir(name: string, build: (dir: string) => void): string {
  const dir = join(scratch.path, "cases", name);
  mkdirSync(dir, { recursive: true });
  build(dir);
  return dir;
}

describe("backup scan: age files under any name", () => {
  it("the vault's sealed copy renamed to notes.bin inside a tar.gz is a known copy by its ledger hash", async () => {
    const sealed = readFileSync(join(appliance.stateDir, "vault", "credentials.age"));
    const sha256 = createHash("sha256").update(sealed).digest("hex");
    const target = caseDir("renamed", (dir) => {
      mkdirSync(join(dir, "t", "misc"), { recursive: true });
      writeFileSync(join(dir, "t", "misc", "notes.bin"), sealed);
      execFileSync("tar", ["-C", join(dir, "t"), "-czf", join(dir, "home.tar.gz"), "misc"]);
      rmSync(join(dir, "t"), { recursive: true });
    });
    const result = await scan(target);
    expect(result.code).toBe(1);
    expect(result.gaps).toEqual([]);
    expect(result.findings).toEqual([
      expect.objectContaining({ form: "sealed-copy", member: "misc/notes.bin", sha256 }),
    ]);
  });

  it("an age file the age CLI sealed to the appliance identity is opened and the key found inside", async () => {
    const target = caseDir("ours", (dir) => {
      writeFileSync(join(dir, "key.pem"), appliance.secrets.pem, { mode: 0o600 });
      execFileSync("age", ["-r", applianceRecipient, "-o", join(dir, "blob.dat"), join(dir, "key.pem")]);
      rmSync(join(dir, "key.pem"));
    });
    const result = await scan(target);
    expect(result.code).toBe(1);
    expect(result.findings.length).toBeGreaterThan(0);
    expect(result.findings.every((finding) => finding.member === "(age)")).toBe(true);
  });

  it("an age file sealed to a foreign key is a gap (exit 3), never CLEAN", async () => {
    const target = caseDir("foreign", (dir) => {
      execFileSync("age-keygen", ["-o", join(scratch.path, "foreign.txt")], { stdio: "ignore" });
      const foreign = execFileSync("age-keygen", ["-y", join(scratch.path, "foreign.txt")])
        .toString()
        .trim();
      writeFileSync(join(dir, "key.pem"), appliance.secrets.pem, { mode: 0o600 });
      execFileSync("age", ["-a", "-r", foreign, "-o", join(dir, "other.txt"), join(dir, "key.pem")]);
      rmSync(join(dir, "key.pem"));
    });
    const result = await scan(target);
    expect(result.code).toBe(3);
    expect(result.findings).toEqual([]);
    expect(result.gaps).toEqual([expect.objectContaining({ reason: stringContaining("age-not-ours") })]);
  });

  it("off the appliance (no state dir: no ledger, no identity) the renamed copy is a gap", async () => {
    const target = join(scratch.path, "cases", "renamed");
    const fingerprints = join(scratch.path, "fingerprints.json");
    cpSync(join(appliance.stateDir, "vault", "meta.json"), fingerprints);
    const run = await spawnCli(["--json", "backup", "scan", target, "--fingerprints", fingerprints], {
      ...appliance.env,
      CONNECT_OPS_STATE_DIR: join(scratch.path, "no-state"),
    });
    outputs.push(run.stdout, run.stderr);
    expect(run.code, run.stderr).toBe(3);
    const result = scanJson.parse(JSON.parse(run.stdout));
    expect(result.findings).toEqual([]);
    expect(result.gaps).toEqual([expect.objectContaining({ reason: stringContaining("age-not-ours") })]);
  });

  it("puts no secret in any output", () => {
    expectNoLeak({ outputs: outputs.join("\n") }, { ...appliance.secrets });
  });
});
