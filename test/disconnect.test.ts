import { startGitHubSim, type GitHubSim } from "@connect-ops/github-sim";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backupRecipient, connectedAppliance, pemLine, plantInArchives, type Appliance } from "./disconnect-fixture.js";
import { connectOps, scratchDir } from "./support/cli.js";
import { expectNoLeak } from "./support/leaks.js";

let sim: GitHubSim;
const scratch = scratchDir("e2e-disconnect");
beforeAll(async () => {
  sim = await startGitHubSim();
});
afterAll(async () => {
  await sim.close();
  scratch[Symbol.dispose]();
});

let counter = 0;
const fresh = (nodes: readonly string[] = ["replica-1", "data-1", "data-2"]): Promise<Appliance> => connectedAppliance(sim, join(scratch.path, `a${counter++}`), nodes);

function filesUnder(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (!existsSync(dir)) return out;
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) out[join(entry.parentPath, entry.name)] = readFileSync(join(entry.parentPath, entry.name), "latin1");
  }
  return out;
}

function opensslVerify(stateDir: string, report: string): number | null {
  return spawnSync("openssl", ["pkeyutl", "-verify", "-pubin", "-inkey", join(stateDir, "audit-signing.pub"), "-rawin", "-in", report, "-sigfile", `${report}.sig`]).status;
}

const disconnect = (app: Appliance, extra: readonly string[] = [], env: Record<string, string> = {}) =>
  connectOps(["--json", "disconnect", "--inventory", app.inventory, "--data-dir", app.dataDir, "--yes", ...extra], { ...app.env, ...env });
const verify = (app: Appliance, extra: readonly string[] = []) => connectOps(["--json", "verify-cleanup", "--inventory", app.inventory, "--data-dir", app.dataDir, ...extra], app.env);

describe("disconnect → verify-cleanup → signed report (local nodes, simulator)", () => {
  it("runs the issue's scenario: a pending node, residue in snapshots, purge, a clean signed audit", async () => {
    const app = await fresh();
    const recipient = backupRecipient(app.dir);
    const included = await connectOps(["backup", "include", app.older, "--recipient", recipient], app.env);
    expect(included.code, included.stderr).toBe(0);
    plantInArchives(app.current, `token=${app.secrets.token}\n${pemLine(app.secrets.pem)}`, "planted");

    const down = app.nodeDirs["data-2"] as string;
    renameSync(down, `${down}.away`);
    writeFileSync(down, "not a directory: the node cannot be reached\n");
    const before = sim.counters();
    const first = await disconnect(app);
    expect(first.code, first.stderr).toBe(3);
    const firstJson = JSON.parse(first.stdout);
    expect(firstJson.pendingNodes).toEqual(["data-2"]);
    expect(firstJson.cloud.revocationProof.tokenRefused).toBe(true);
    expect(firstJson.snapshots.entries.find((entry: { snapshot: string }) => entry.snapshot === "20240101T000000")).toMatchObject({ sealedCopy: true, recipients: [recipient] });
    expect(existsSync(join(app.stateDir, "vault"))).toBe(false);

    const audit = await verify(app);
    expect([1, 3], audit.stderr).toContain(audit.code);
    const auditJson = JSON.parse(audit.stdout);
    expect(auditJson.verdict).toBe("residue");
    expect(auditJson.gaps.some((gap: { location: string }) => gap.location === "data-2")).toBe(true);
    const forms = new Set(auditJson.findings.map((finding: { form: string; member?: string }) => `${finding.form}`));
    expect(forms).toContain("sealed-copy");
    expect(forms).toContain("token");
    expect(auditJson.findings.some((finding: { member?: string; path: string }) => finding.path.endsWith("planted-secrets.tar") && finding.member === "planted.txt")).toBe(true);
    expect(auditJson.findings.some((finding: { path: string }) => finding.path.endsWith("planted-dump.sql.gz"))).toBe(true);

    rmSync(down);
    renameSync(`${down}.away`, down);
    const second = await disconnect(app);
    expect(second.code, second.stderr).toBe(0);
    const nodes = JSON.parse(second.stdout).nodes as { name: string; status: string; attempts: number }[];
    expect(nodes.map((node) => [node.name, node.status, node.attempts])).toEqual([
      ["replica-1", "deleted", 1],
      ["data-1", "deleted", 1],
      ["data-2", "deleted", 2],
    ]);

    expect((await disconnect(app, ["--purge-backups"])).code).toBe(0);
    const after = sim.counters();
    expect(after.appsDeleted - before.appsDeleted).toBe(1);
    expect(after.installationsDeleted - before.installationsDeleted).toBe(1);
    expect(after.recordsDeleted - before.recordsDeleted).toBe(1);

    const report = join(app.dir, "audit.json");
    const clean = await verify(app, ["--report", report, "--format", "md"]);
    expect(clean.code, clean.stdout).toBe(0);
    const cleanJson = JSON.parse(clean.stdout);
    expect(cleanJson).toMatchObject({ verdict: "clean", findings: [], gaps: [] });
    expect(Buffer.from(cleanJson.signature, "base64")).toHaveLength(64);
    expect(readFileSync(`${report}.sig`)).toHaveLength(64);
    expect(readFileSync(`${report}.md`, "utf8")).toContain("CLEAN");
    const reportJson = JSON.parse(readFileSync(report, "utf8"));
    expect(reportJson.locations.map((location: { kind: string }) => location.kind)).toEqual(["cloud", "primary", "node", "node", "node", "snapshot", "snapshot", "data-dir"]);
    expect(reportJson.fingerprintSets).toHaveLength(1);
    expect(opensslVerify(app.stateDir, report)).toBe(0);
    expect((await connectOps(["verify-report", report], app.env)).code).toBe(0);

    const bytes = readFileSync(report);
    bytes[10] = bytes[10] === 0x41 ? 0x42 : 0x41;
    writeFileSync(report, bytes);
    expect(opensslVerify(app.stateDir, report)).not.toBe(0);
    expect((await connectOps(["verify-report", report], app.env)).code).toBe(1);

    expectNoLeak({ ...filesUnder(app.stateDir), ...filesUnder(app.dataDir), ...filesUnder(join(app.dir, "nodes")), report: readFileSync(report, "latin1"), md: readFileSync(`${report}.md`, "latin1") }, { pem: app.secrets.pem, token: app.secrets.token });
  });
});

const CRASH_POINTS = [
  "disconnect:intent-recorded",
  "disconnect:token-revoked",
  "disconnect:installation-deleted",
  "disconnect:record-deleted",
  "disconnect:app-deleted",
  "disconnect:revocation-proved",
  "disconnect:vault-destroyed",
  "disconnect:nodes-deleted",
  "disconnect:snapshots-reviewed",
  "disconnect:completed",
];

describe("disconnect after a SIGKILL at each journal step", () => {
  it.each(CRASH_POINTS)("resumes after a crash at %s without repeating an effect or skipping a node", async (point) => {
    const app = await fresh(["replica-1", "data-1"]);
    const before = sim.counters();
    const killed = await disconnect(app, [], { CONNECT_OPS_FAULT_CRASH_AT: point });
    expect(killed.signal).toBe("SIGKILL");
    const resumed = await disconnect(app);
    expect(resumed.code, resumed.stderr).toBe(0);
    const json = JSON.parse(resumed.stdout);
    expect(json.completed).toBe(true);
    expect(json.nodes.every((node: { status: string }) => node.status === "deleted" || node.status === "absent")).toBe(true);
    for (const dir of Object.values(app.nodeDirs)) expect(readdirSync(dir)).toEqual([]);
    const after = sim.counters();
    expect(after.appsDeleted - before.appsDeleted).toBe(1);
    expect(after.installationsDeleted - before.installationsDeleted).toBe(1);
    expect(after.recordsDeleted - before.recordsDeleted).toBe(1);
    expect(after.tokensRevoked - before.tokensRevoked).toBeLessThanOrEqual(1);
    expect(json.fingerprintSets).toHaveLength(1);
    expectNoLeak(filesUnder(app.stateDir), { pem: app.secrets.pem, token: app.secrets.token });
    expect((await verify(app)).code).toBe(0);
  });
});
