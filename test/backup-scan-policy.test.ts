import { startGitHubSim, type GitHubSim } from "@connect-ops/github-sim";
import { connectedAppliance, spawnCli, testdirSync, type Appliance } from "@connect-ops/test-support";
import { execFileSync } from "node:child_process";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as z from "zod";
import { expectNoLeak } from "./support/leaks.js";

// Issue 16 item 4: under the include policy a sealed copy of the *current* generation is what the
// policy keeps on purpose, so `backup scan --policy include` does not count it; it is proved by the
// SHA-256 include recorded in the state dir, not by the manifest in the snapshot (which anyone
// with the backup can edit). Without the flag it stays a finding; an older generation's copy stays
// a finding either way.

const scratch = testdirSync({ prefix: "e2e-scan-policy-" });
let sim: GitHubSim;
let appliance: Appliance;
let recipient: string;
const outputs: string[] = [];

beforeAll(async () => {
  sim = await startGitHubSim();
  appliance = await connectedAppliance({ dir: join(scratch.path, "appliance"), cloud: sim, connectOps: spawnCli });
  const identity = join(scratch.path, "backup-identity.txt");
  execFileSync("age-keygen", ["-o", identity], { stdio: "ignore" });
  recipient = execFileSync("age-keygen", ["-y", identity]).toString().trim();
});
afterAll(async () => {
  await sim.close();
  scratch[Symbol.dispose]();
});

const scanJson = z.looseObject({
  findings: z.array(z.looseObject({ path: z.string(), form: z.string() })),
  accepted: z.array(z.object({ path: z.string(), generation: z.number() })).optional(),
});

async function cli(argv: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const run = await spawnCli(argv, appliance.env);
  outputs.push(run.stdout, run.stderr);
  return run;
}

async function scan(
  target: string,
  policy?: "include" | "redact",
): Promise<{ code: number | null } & z.infer<typeof scanJson>> {
  const run = await cli(["--json", "backup", "scan", target, ...(policy === undefined ? [] : ["--policy", policy])]);
  return { code: run.code, ...scanJson.parse(JSON.parse(run.stdout)) };
}

async function include(snapshot: string): Promise<void> {
  const run = await cli(["backup", "include", snapshot, "--recipient", recipient]);
  expect(run.code, run.stderr).toBe(0);
}

const sealedCopy = (snapshot: string) => join(snapshot, "github-connect", "credentials.age");

describe("backup scan --policy include", () => {
  it("does not count the current generation's sealed copy; without the flag it is a finding", async () => {
    await include(appliance.current);
    const withPolicy = await scan(appliance.current, "include");
    expect(withPolicy.code).toBe(0);
    expect(withPolicy.findings).toEqual([]);
    expect(withPolicy.accepted?.map((copy) => copy.path)).toEqual([sealedCopy(appliance.current)]);
    const human = await cli(["backup", "scan", appliance.current, "--policy", "include"]);
    expect(human.code).toBe(0);
    expect(human.stdout).toContain("kept by the include policy");

    for (const plain of [await scan(appliance.current), await scan(appliance.current, "redact")]) {
      expect(plain.code).toBe(1);
      expect(plain.findings.map((finding) => [finding.path, finding.form])).toEqual([
        [sealedCopy(appliance.current), "sealed-copy"],
      ]);
      expect(plain.accepted).toBeUndefined();
    }
  });

  it("a copy whose bytes include never recorded (re-sealed by hand, manifest untouched) stays a finding", async () => {
    const snapshot = join(appliance.dataDir, "20240105T000000");
    execFileSync("cp", ["-a", appliance.current, snapshot]);
    writeFileSync(join(scratch.path, "plain.txt"), "not the credentials\n");
    execFileSync("age", ["-r", recipient, "-o", sealedCopy(snapshot), join(scratch.path, "plain.txt")]);
    const result = await scan(snapshot, "include");
    expect(result.code).toBe(1);
    expect(result.findings.map((finding) => finding.path)).toEqual([sealedCopy(snapshot)]);
    expect(result.accepted).toEqual([]);
    rmSync(snapshot, { recursive: true });
  });

  it("after the vault moves to a new generation, the older copy is a finding and the new one is not", async () => {
    await include(appliance.older);
    const before = await scan(appliance.dataDir, "include");
    expect(before.code).toBe(0);
    const refreshed = await cli(["token", "--force"]);
    expect(refreshed.code, refreshed.stderr).toBe(0);
    // Both copies are of the generation before the refresh: now both are residue under the policy.
    const stale = await scan(appliance.dataDir, "include");
    expect(stale.code).toBe(1);
    expect(stale.findings.map((finding) => finding.path).sort()).toEqual(
      [sealedCopy(appliance.older), sealedCopy(appliance.current)].sort(),
    );
    await include(appliance.current);
    const after = await scan(appliance.dataDir, "include");
    expect(after.code).toBe(1);
    expect(after.findings.map((finding) => finding.path)).toEqual([sealedCopy(appliance.older)]);
    expect(after.accepted?.map((copy) => copy.path)).toEqual([sealedCopy(appliance.current)]);
  });

  it("leaks no secret in any output", () => {
    expectNoLeak({ outputs: outputs.join("\n") }, { ...appliance.secrets });
  });
});
