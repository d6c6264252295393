import { startGitHubSim, type GitHubSim } from "@connect-ops/github-sim";
import { connectedAppliance, spawnCli, stringContaining, testdirSync, type Appliance } from "@connect-ops/test-support";
import { execFileSync } from "node:child_process";
import { createPrivateKey, randomBytes } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as z from "zod";
import { expectNoLeak } from "./support/leaks.js";

// Issue 13 (performance): `backup scan` reads a big tree on worker threads (the bundle's
// scan-worker.mjs, one per core). The verdict must be exactly the one thread's: the same findings,
// the same gaps, the same layers. The tree is made by the real tools; CONNECT_OPS_SCAN_THREADS
// forces the thread count on a tree below the size where threads start on their own.

const scratch = testdirSync({ prefix: "e2e-scan-threads-" });
let sim: GitHubSim;
let appliance: Appliance;
let tree: string;
const outputs: string[] = [];

const scanJson = z.looseObject({
  findings: z.array(z.looseObject({ path: z.string(), form: z.string() })),
  gaps: z.array(z.looseObject({ path: z.string(), reason: z.string() })),
  filesScanned: z.number(),
  bytesScanned: z.number(),
});

/** Many files in many layers: plain, tar.gz, xz, zstd, base64 of DER inside random data, damaged and foreign. */
function buildTree(root: string, secrets: { pem: string; token: string }): void {
  const dir = (...parts: string[]) => join(root, ...parts);
  mkdirSync(dir("staging", "conf"), { recursive: true });
  mkdirSync(dir("logs"), { recursive: true });
  writeFileSync(dir("staging", "conf", "key.pem"), secrets.pem, { mode: 0o600 });
  writeFileSync(dir("staging", "conf", "token"), `${secrets.token}\n`, { mode: 0o600 });
  execFileSync("tar", ["-C", dir("staging"), "-czf", dir("conf.tar.gz"), "conf"]);
  execFileSync("tar", ["-C", dir("staging"), "-cJf", dir("conf.tar.xz"), "conf"]);
  execFileSync("zstd", ["-q", "-o", dir("token.zst"), dir("staging", "conf", "token")]);
  execFileSync("rm", ["-r", dir("staging")]);
  const der = createPrivateKey(secrets.pem).export({ type: "pkcs8", format: "der" });
  writeFileSync(
    dir("blob.bin"),
    Buffer.concat([randomBytes(3 << 20), Buffer.from(der.toString("base64")), randomBytes(1 << 20)]),
  );
  writeFileSync(dir("settings.json"), JSON.stringify({ app: { key: secrets.pem } }));
  // A damaged gzip: its trailer cut off (a gap on one thread, a gap on many).
  writeFileSync(dir("logs", "app.log"), `started\n${secrets.token}\n`.repeat(200));
  execFileSync("gzip", ["-k", dir("logs", "app.log")]);
  execFileSync("truncate", ["-s", "-8", dir("logs", "app.log.gz")]);
  for (let index = 0; index < 60; index += 1) writeFileSync(dir("logs", `clean-${index}.log`), randomBytes(4096));
}

beforeAll(async () => {
  sim = await startGitHubSim();
  appliance = await connectedAppliance({ dir: join(scratch.path, "appliance"), cloud: sim, connectOps: spawnCli });
  // A snapshot's name: where the suites plant residue on purpose (the leak canary skips it).
  tree = join(scratch.path, "20240611T020000");
  buildTree(tree, appliance.secrets);
});
afterAll(async () => {
  await sim.close();
  scratch[Symbol.dispose]();
});

async function scan(threads: string): Promise<{ code: number | null; stderr: string } & z.infer<typeof scanJson>> {
  const run = await spawnCli(["--json", "--log-level", "debug", "backup", "scan", tree], {
    ...appliance.env,
    CONNECT_OPS_SCAN_THREADS: threads,
  });
  outputs.push(run.stdout, run.stderr);
  return { code: run.code, stderr: run.stderr, ...scanJson.parse(JSON.parse(run.stdout)) };
}

const sorted = (items: readonly unknown[]): string[] => items.map((item) => JSON.stringify(item)).sort();

describe("backup scan on scan threads", () => {
  it("two threads give exactly the one thread's findings, gaps and counts, and say they ran", async () => {
    const single = await scan("0");
    const threaded = await scan("2");
    expect(single.code).toBe(1);
    expect(threaded.code).toBe(1);
    expect(single.findings.length).toBeGreaterThanOrEqual(8);
    expect(single.gaps).toEqual([expect.objectContaining({ path: stringContaining("app.log.gz") })]);
    expect(sorted(threaded.findings)).toEqual(sorted(single.findings));
    expect(sorted(threaded.gaps)).toEqual(sorted(single.gaps));
    expect([threaded.filesScanned, threaded.bytesScanned]).toEqual([single.filesScanned, single.bytesScanned]);
    // The shipped worker entry ran: no failure fell back to the main thread.
    expect(threaded.stderr).toContain("scan read on 2 threads");
    expect(threaded.stderr).not.toContain("scan thread failed");
    expect(single.stderr).not.toContain("threads");
  });

  it("a CONNECT_OPS_SCAN_THREADS that is no count is a usage error (exit 2) that says how to fix it", async () => {
    const run = await spawnCli(["backup", "scan", tree], { ...appliance.env, CONNECT_OPS_SCAN_THREADS: "many" });
    outputs.push(run.stdout, run.stderr);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("BACKUP_CONFIG_INVALID");
    expect(run.stderr).toContain('CONNECT_OPS_SCAN_THREADS="many" is not a thread count');
    expect(run.stderr).toContain("unset it to use one thread per core");
  });

  it("no output names a secret", () => {
    expectNoLeak({ outputs: outputs.join("\n") }, { ...appliance.secrets });
  });
});
