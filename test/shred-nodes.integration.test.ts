import { startGitHubSim, type GitHubSim } from "@connect-ops/github-sim";
import {
  connectArgv,
  initialisedAppliance,
  NODE_TARGET,
  parseJsonOutput,
  snapshotCli,
  startSshNodes,
  stringContaining,
  testdirSync,
  type ApplianceLayout,
} from "@connect-ops/test-support";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { cpSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { auditJson } from "./support/cli-json.js";
import { registerSecret } from "./support/canary.js";

// Issue 17.3 over real sshd: `disconnect --shred` destroys each enrolled node's own identity on the
// node (checked there, as root), the attestation lists every node, and verify-cleanup covers a copy
// no audit reaches by the attestation alone. One node down: exit 3, the attestation says which node's
// identity is not destroyed, and the re-run once it is back completes the job.
let sim: GitHubSim;
let cli: Awaited<ReturnType<typeof snapshotCli>>;
let topology: Awaited<ReturnType<typeof startSshNodes>> | undefined;
const scratch = testdirSync({ prefix: "e2e-shred-nodes-" });
const NODES = ["ghes-replica", "ghes-data-1"] as const;
const IDENTITY = `${NODE_TARGET}/node-identity.txt`;

beforeAll(async () => {
  cli = await snapshotCli();
  sim = await startGitHubSim();
  topology = await startSshNodes([
    { name: NODES[0], role: "replica" },
    { name: NODES[1], role: "cluster" },
  ]);
}, 300_000);

afterAll(async () => {
  await topology?.[Symbol.asyncDispose]();
  await sim.close();
  cli[Symbol.dispose]();
  scratch[Symbol.dispose]();
});

const node = (name: string) => {
  const found = topology?.nodes.find((entry) => entry.name === name);
  if (found === undefined) throw new Error(`no node ${name}`);
  return found;
};
/** What the node's target dir holds, listed on the node as root (`-A`: dot files too, an aside copy included). */
const onNode = async (name: string): Promise<string[]> =>
  (await node(name).exec(`ls -A ${NODE_TARGET} 2>/dev/null || true`, "root")).split("\n").filter(Boolean).sort();

const attestationTarget = z.looseObject({
  role: z.string(),
  recipient: z.string(),
  state: z.string(),
  where: z.string(),
  node: z.string().optional(),
  bytes: z.number().optional(),
  reason: z.string().optional(),
});
const attestationSchema = z.looseObject({
  destroyed: z.array(attestationTarget),
  notDestroyed: z.array(attestationTarget),
});
const enrolledSchema = z.object({
  nodes: z.array(z.looseObject({ name: z.string(), recipient: z.string(), identitySha256: z.string() })),
});
const reportSchema = z.looseObject({
  findings: z.array(z.looseObject({ path: z.string(), openableBy: z.array(z.string()).optional() })),
  shred: z.looseObject({ destroyedRecipients: z.array(z.string()) }),
});

interface Estate {
  readonly layout: ApplianceLayout;
  readonly run: (...argv: string[]) => ReturnType<typeof cli.run>;
  readonly offsite: string;
  readonly unreachable: string;
  readonly enrolled: z.infer<typeof enrolledSchema>["nodes"];
}

let counter = 0;
/** init → connect → enroll both ssh nodes → replicate → include the current snapshot (+ a backup escrow) → copy it off-site. */
async function estate(): Promise<Estate> {
  if (topology === undefined) throw new Error("no topology");
  const dir = join(scratch.path, `e${counter++}`);
  const layout = await initialisedAppliance({
    dir,
    cloud: sim,
    nodes: [],
    connectOps: (argv, env) => cli.run(argv, env),
  });
  topology.writeInventory(layout.inventory);
  for (const name of NODES) await node(name).exec(`rm -rf ${NODE_TARGET}`, "root"); // an earlier case's leftovers
  const run = (...argv: string[]) => cli.run(argv, layout.env);
  const connected = await run(...connectArgv(layout, sim.url));
  expect(connected.code, connected.stderr).toBe(0);
  for (const name of NODES) {
    const enrolled = await run(
      "node",
      "enroll",
      "--inventory",
      layout.inventory,
      "--node",
      name,
      "--accept-new-host-keys",
    );
    expect(enrolled.code, enrolled.stderr).toBe(0);
    const identityLine = (await node(name).exec(`grep AGE-SECRET-KEY-1 ${IDENTITY}`, "root")).trim();
    registerSecret(`${name} identity (${dir})`, identityLine);
  }
  const replicated = await run("replicate", "--inventory", layout.inventory);
  expect(replicated.code, replicated.stderr).toBe(0);
  mkdirSync(join(dir, "backup-host"), { mode: 0o700 });
  const escrow = join(dir, "backup-host", "escrow.txt");
  const escrowed = await run("backup", "escrow", "init", "--out", escrow, "--data-dir", layout.dataDir);
  expect(escrowed.code, escrowed.stderr).toBe(0);
  const included = await run("backup", "include", layout.current, "--escrow", escrow);
  expect(included.code, included.stderr).toBe(0);
  const snapshot = join(dir, "offsite", "snapshot");
  cpSync(layout.current, snapshot, { recursive: true, dereference: true });
  const offsite = join(snapshot, "github-connect", "credentials.age");
  const unreachable = join(dir, "unreachable.txt");
  writeFileSync(unreachable, `${createHash("sha256").update(readFileSync(offsite)).digest("hex")}\n`);
  const enrolled = enrolledSchema.parse(
    JSON.parse(readFileSync(join(layout.stateDir, "enrolled-nodes.json"), "utf8")),
  ).nodes;
  expect(enrolled.map((entry) => entry.name).sort()).toEqual([...NODES].sort());
  return { layout, run, offsite, unreachable, enrolled };
}

const attestationOf = (layout: ApplianceLayout) =>
  attestationSchema.parse(JSON.parse(readFileSync(join(layout.stateDir, "shred-attestation.json"), "utf8")));

const verifyCleanup = (state: Estate) =>
  state.run(
    "--json",
    "verify-cleanup",
    "--inventory",
    state.layout.inventory,
    "--data-dir",
    state.layout.dataDir,
    "--unreachable-copies",
    state.unreachable,
  );

/** Every file holding an age identity under `roots` (a few levels deep, no node_modules). */
function identityFiles(roots: readonly string[], depth: number): string[] {
  const found: string[] = [];
  const walk = (dir: string, level: number): void => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return; // an unreadable dir holds no identity this test could use either
    }
    for (const entry of entries) {
      const path = join(dir, entry.name);
      if (entry.isDirectory() && entry.name !== "node_modules" && level < depth) walk(path, level + 1);
      else if (
        entry.isFile() &&
        statSync(path).size < 1 << 20 &&
        readFileSync(path, "latin1").includes("AGE-SECRET-KEY-1")
      )
        found.push(path);
    }
  };
  for (const root of roots) walk(root, 0);
  return found;
}

describe("shred with enrolled ssh nodes", () => {
  it("disconnect --shred destroys both nodes' identities on the nodes; verify-cleanup --unreachable-copies is CLEAN; no identity left opens the copy", async () => {
    const state = await estate();
    // Before: each node holds its own identity (what the shred must take away).
    for (const name of NODES) expect(await onNode(name), name).toContain("node-identity.txt");
    const shredded = await state.run(
      "--json",
      "disconnect",
      "--inventory",
      state.layout.inventory,
      "--data-dir",
      state.layout.dataDir,
      "--yes",
      "--shred",
    );
    expect(shredded.code, shredded.stdout + shredded.stderr).toBe(0);
    for (const name of NODES) expect(await onNode(name), name).toEqual([]);
    const attestation = attestationOf(state.layout);
    expect(attestation.notDestroyed).toEqual([]);
    for (const entry of state.enrolled)
      expect(attestation.destroyed).toContainEqual(
        expect.objectContaining({
          role: "node",
          node: entry.name,
          recipient: entry.recipient,
          where: `${entry.name}:${IDENTITY}`,
          state: "destroyed",
        }),
      );
    for (const target of attestation.destroyed) expect(target.bytes, target.where).toBeGreaterThan(0);

    const audit = await verifyCleanup(state);
    expect(audit.code, audit.stdout + audit.stderr).toBe(0);
    const outcome = parseJsonOutput(auditJson, audit.stdout);
    expect(outcome.verdict).toBe("clean");
    const report = reportSchema.parse(outcome.report);
    for (const entry of state.enrolled) expect(report.shred.destroyedRecipients).toContain(entry.recipient);
    for (const identity of identityFiles([state.layout.dir, homedir(), topology?.dir ?? ""], 4))
      expect(spawnSync("age", ["-d", "-i", identity, state.offsite]).status, identity).not.toBe(0);
  });

  it("one node down: exit 3, the attestation says its identity is not destroyed (RESIDUE naming it); the re-run once it is back completes", async () => {
    const state = await estate();
    const disconnected = await state.run("disconnect", "--inventory", state.layout.inventory, "--yes");
    expect(disconnected.code, disconnected.stderr).toBe(0);
    const [up, down] = NODES;
    await node(down).pause();
    let resumed = false;
    try {
      const partial = await state.run("--json", "shred", "--connect-timeout", "2s");
      expect(partial.code, partial.stdout + partial.stderr).toBe(3);
      const attestation = attestationOf(state.layout);
      const downRecipient = state.enrolled.find((entry) => entry.name === down)?.recipient ?? "";
      expect(attestation.notDestroyed).toEqual([
        expect.objectContaining({
          role: "node",
          node: down,
          recipient: downRecipient,
          state: "not-destroyed",
          reason: stringContaining(down),
        }),
      ]);
      expect(attestation.destroyed).toContainEqual(expect.objectContaining({ node: up, state: "destroyed" }));
      expect(await onNode(up)).toEqual([]);
      await node(down).unpause();
      resumed = true;
      expect(await onNode(down)).toContain("node-identity.txt");
      // The copy is sealed to the node that kept its identity: residue naming that recipient.
      const audit = await verifyCleanup(state);
      expect(audit.code, audit.stdout + audit.stderr).toBe(1);
      const report = reportSchema.parse(parseJsonOutput(auditJson, audit.stdout).report);
      expect(report.findings.length).toBeGreaterThan(0);
      for (const finding of report.findings) expect(finding.openableBy, finding.path).toEqual([downRecipient]);
    } finally {
      if (!resumed) await node(down).unpause();
    }
    // Re-run: the shred journal resumes with the pending node only (the inventory the disconnect recorded).
    const again = await state.run("--json", "shred");
    expect(again.code, again.stdout + again.stderr).toBe(0);
    expect(await onNode(down)).toEqual([]);
    const attestation = attestationOf(state.layout);
    expect(attestation.notDestroyed).toEqual([]);
    expect(
      attestation.destroyed
        .filter((target) => target.role === "node")
        .map((target) => target.node)
        .sort(),
    ).toEqual([...NODES].sort());
    const audit = await verifyCleanup(state);
    expect(audit.code, audit.stdout + audit.stderr).toBe(0);
  });
});
