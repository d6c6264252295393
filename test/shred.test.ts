import { startGitHubSim, type GitHubSim } from "@connect-ops/github-sim";
import {
  connectedAppliance,
  parseJsonOutput,
  stringContaining,
  snapshotCli,
  testdirSync,
  type Appliance,
  type CliRun,
} from "@connect-ops/test-support";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { auditJson } from "./support/cli-json.js";
import { backupRecipient } from "./disconnect-fixture.js";
import { expectNoLeak, runPlaces } from "./support/leaks.js";

let sim: GitHubSim;
let cli: Awaited<ReturnType<typeof snapshotCli>>;
const scratch = testdirSync({ prefix: "e2e-shred-" });
const runs: CliRun[] = [];
const connectOps = async (argv: readonly string[], env: Record<string, string | undefined> = {}) => {
  const run = await cli.run(argv, env);
  runs.push(run);
  return run;
};
beforeAll(async () => {
  cli = await snapshotCli({ testHooks: true });
  sim = await startGitHubSim();
});
afterAll(async () => {
  await sim.close();
  cli[Symbol.dispose]();
  scratch[Symbol.dispose]();
});

let counter = 0;
const fresh = (): Promise<Appliance> =>
  connectedAppliance({ cloud: sim, dir: join(scratch.path, `a${counter++}`), connectOps });

const shredReport = z.looseObject({
  verdict: z.string(),
  findings: z.array(z.looseObject({ path: z.string(), openableBy: z.array(z.string()).optional() })),
  shred: z.looseObject({
    signature: z.string(),
    destroyedRecipients: z.array(z.string()),
    shredded: z.array(z.looseObject({ path: z.string(), coveredBy: z.string(), recipients: z.array(z.string()) })),
  }),
});

/** Every file holding an age identity under `roots` (not following links, at most `depth` levels, no node_modules). */
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

const nodeLedger = z.object({ nodes: z.array(z.looseObject({ name: z.string(), recipient: z.string() })) });
const attestationTarget = z.looseObject({
  role: z.string(),
  where: z.string(),
  recipient: z.string(),
  state: z.string(),
  node: z.string().optional(),
  bytes: z.number().optional(),
  reason: z.string().optional(),
});
const attestationFile = z.looseObject({
  destroyed: z.array(attestationTarget),
  notDestroyed: z.array(attestationTarget),
});

const sha256 = (path: string): string => createHash("sha256").update(readFileSync(path)).digest("hex");

interface Scenario {
  readonly app: Appliance;
  readonly escrow: string;
  readonly offsite: string;
  readonly unreachable: string;
  /** The identities the shred destroyed, read before it: they must never have leaked anywhere. */
  readonly identities: Record<string, string>;
  readonly disconnect: CliRun;
}

/** An appliance whose current snapshot is included (escrow + `extra` recipients), copied off-site, then `disconnect --shred`. */
async function shredScenario(
  extraRecipients: readonly string[],
  enroll: readonly string[] = [],
  beforeDisconnect: (app: Appliance) => void = () => undefined,
): Promise<Scenario> {
  const app = await fresh();
  for (const node of enroll) {
    const enrolled = await connectOps(["node", "enroll", "--inventory", app.inventory, "--node", node], app.env);
    expect(enrolled.code, enrolled.stderr).toBe(0);
  }
  if (enroll.length > 0) {
    const replicated = await connectOps(["replicate", "--inventory", app.inventory], app.env);
    expect(replicated.code, replicated.stderr).toBe(0);
  }
  const escrowDir = join(app.dir, "backup-host");
  mkdirSync(escrowDir, { mode: 0o700 });
  const escrow = join(escrowDir, "escrow.txt");
  const init = await connectOps(["backup", "escrow", "init", "--out", escrow, "--data-dir", app.dataDir], app.env);
  expect(init.code, init.stderr).toBe(0);
  expect(statSync(escrow).mode & 0o777).toBe(0o600);
  const include = await connectOps(
    ["backup", "include", app.current, "--escrow", escrow, ...extraRecipients.flatMap((r) => ["--recipient", r])],
    app.env,
  );
  expect(include.code, include.stderr).toBe(0);
  // The snapshot goes where no audit reaches (tape, an off-site rsync): here a dir verify-cleanup is never given.
  const offsite = join(app.dir, "offsite", "snapshot");
  cpSync(app.current, offsite, { recursive: true, dereference: true });
  const copy = join(offsite, "github-connect", "credentials.age");
  const unreachable = join(app.dir, "unreachable.txt");
  writeFileSync(unreachable, `# the copy on tape\n${sha256(copy)}\n`);
  // Before the shred the escrow opens the off-site copy: what the shred must take away.
  expect(spawnSync("age", ["-d", "-i", escrow, copy]).status).toBe(0);
  const identityLine = (file: string): string =>
    readFileSync(file, "utf8")
      .split("\n")
      .find((line) => line.startsWith("AGE-SECRET-KEY-1")) ?? "";
  const identities: Record<string, string> = {
    "escrow identity": identityLine(escrow),
    "appliance identity": identityLine(join(app.stateDir, "age-identity.txt")),
    ...Object.fromEntries(
      enroll.map((node) => [`${node} identity`, identityLine(join(app.nodeDirs[node] ?? "", "node-identity.txt"))]),
    ),
  };
  beforeDisconnect(app);
  const disconnect = await connectOps(
    ["--json", "disconnect", "--inventory", app.inventory, "--data-dir", app.dataDir, "--yes", "--shred"],
    app.env,
  );
  expect(disconnect.code, disconnect.stderr).toBe(enroll.length > 0 ? disconnect.code : 0);
  return { app, escrow, offsite: copy, unreachable, identities, disconnect };
}

const verifyCleanup = (scenario: Scenario) =>
  connectOps(
    [
      "--json",
      "verify-cleanup",
      "--inventory",
      scenario.app.inventory,
      "--data-dir",
      scenario.app.dataDir,
      "--unreachable-copies",
      scenario.unreachable,
      "--report",
      join(scenario.app.dir, "audit.json"),
    ],
    scenario.app.env,
  );

describe("crypto-shredding: disconnect --shred → verify-cleanup --unreachable-copies", () => {
  it("covers an included snapshot copied off-site by the signed attestation alone: CLEAN", async () => {
    const scenario = await shredScenario([]);
    const { stateDir } = scenario.app;
    // A shred killed while writing its attestation leaves its temp: a re-run (it resumes) sweeps it.
    const staleTemp = join(stateDir, ".shred-attestation.json.tmp-0123456789ab");
    writeFileSync(staleTemp, "{");
    const again = await connectOps(["shred", "--inventory", scenario.app.inventory], scenario.app.env);
    expect(again.code, again.stderr).toBe(0);
    expect(existsSync(staleTemp)).toBe(false);
    expect(existsSync(join(stateDir, "age-identity.txt"))).toBe(false);
    expect(existsSync(scenario.escrow)).toBe(false);
    const attestation = join(stateDir, "shred-attestation.json");
    const verified = spawnSync("openssl", [
      "pkeyutl",
      "-verify",
      "-pubin",
      "-inkey",
      join(stateDir, "audit-signing.pub"),
      "-rawin",
      "-in",
      attestation,
      "-sigfile",
      `${attestation}.sig`,
    ]);
    expect(verified.status, verified.stderr.toString()).toBe(0);

    const audit = await verifyCleanup(scenario);
    expect(audit.code, audit.stdout + audit.stderr).toBe(0);
    const outcome = parseJsonOutput(auditJson, audit.stdout);
    expect(outcome.verdict).toBe("clean");
    const report = shredReport.parse(outcome.report);
    expect(report.shred.signature).toBe("valid");
    expect(report.shred.shredded).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ coveredBy: "attestation" }),
        expect.objectContaining({
          coveredBy: "audited",
          path: join(scenario.app.dataDir, "20240102T000000", "github-connect", "credentials.age"),
        }),
      ]),
    );

    // Nothing printed, passed as an argument or left in the state dir holds a secret or a destroyed identity.
    const stateFiles: Record<string, string> = {};
    for (const name of readdirSync(stateDir, { recursive: true, encoding: "utf8" })) {
      const path = join(stateDir, name);
      if (statSync(path).isFile() && !name.endsWith(".age")) stateFiles[path] = readFileSync(path, "latin1");
    }
    expectNoLeak(
      {
        ...runPlaces(runs),
        ...stateFiles,
        [join(scenario.app.dir, "audit.json")]: readFileSync(join(scenario.app.dir, "audit.json"), "utf8"),
      },
      { pem: scenario.app.secrets.pem, token: scenario.app.secrets.token, ...scenario.identities },
    );

    // No identity left on this machine opens the off-site copy (state dir, escrow dir, the test tree, HOME).
    const identities = identityFiles([scenario.app.dir, homedir()], 4);
    for (const identity of identities) {
      const opened = spawnSync("age", ["-d", "-i", identity, scenario.offsite]);
      expect(opened.status, `${identity} opened the shredded copy`).not.toBe(0);
    }
  });

  it("keeps a copy also sealed to an operator key as RESIDUE naming that recipient", async () => {
    const operator = backupRecipient(scratch.path);
    const scenario = await shredScenario([operator]);
    const audit = await verifyCleanup(scenario);
    expect(audit.code, audit.stdout + audit.stderr).toBe(1);
    const outcome = parseJsonOutput(auditJson, audit.stdout);
    expect(outcome.verdict).toBe("residue");
    const report = shredReport.parse(outcome.report);
    expect(report.shred.shredded).toEqual([]);
    expect(report.findings.length).toBeGreaterThanOrEqual(2);
    for (const finding of report.findings) expect(finding.openableBy, finding.path).toEqual([operator]);
    // And the operator's key does open it: the residue is real.
    expect(spawnSync("age", ["-d", "-i", join(scratch.path, "backup-identity.txt"), scenario.offsite]).status).toBe(0);
    expect(report.findings.map((finding) => finding.path)).toContain(
      readFileSync(scenario.unreachable, "utf8").split("\n")[1],
    );
  });

  it("finds a shredded identity's AGE-SECRET-KEY planted in a snapshot: RESIDUE (the identities are fingerprinted first)", async () => {
    const scenario = await shredScenario([]);
    const planted = join(scenario.app.older, "notes.txt");
    writeFileSync(planted, `escrow backup: ${scenario.identities["escrow identity"] ?? ""}\n`);
    const audit = await verifyCleanup(scenario);
    expect(audit.code, audit.stdout + audit.stderr).toBe(1);
    const report = shredReport.parse(parseJsonOutput(auditJson, audit.stdout).report);
    expect(report.findings).toEqual([expect.objectContaining({ path: planted, form: "age-identity" })]);
    expect(audit.stdout + audit.stderr).not.toContain(scenario.identities["escrow identity"]);
  });

  it("destroys each enrolled node's identity over its transport and lists it in the attestation: CLEAN", async () => {
    const nodes = ["replica-1", "data-1"];
    const scenario = await shredScenario([], nodes);
    expect(scenario.disconnect.code, scenario.disconnect.stderr).toBe(0);
    const { app } = scenario;
    for (const node of nodes) {
      expect(existsSync(join(app.nodeDirs[node] ?? "", "node-identity.txt")), node).toBe(false);
      expect(readdirSync(app.nodeDirs[node] ?? ""), node).toEqual([]);
    }
    const enrolled = nodeLedger.parse(JSON.parse(readFileSync(join(app.stateDir, "enrolled-nodes.json"), "utf8")));
    const attestation = attestationFile.parse(
      JSON.parse(readFileSync(join(app.stateDir, "shred-attestation.json"), "utf8")),
    );
    expect(attestation.notDestroyed).toEqual([]);
    for (const node of enrolled.nodes)
      expect(attestation.destroyed).toContainEqual(
        expect.objectContaining({ role: "node", node: node.name, recipient: node.recipient, state: "destroyed" }),
      );
    for (const target of attestation.destroyed.filter((entry) => entry.role === "node"))
      expect(target.bytes, target.where).toBeGreaterThan(0);

    const audit = await verifyCleanup(scenario);
    expect(audit.code, audit.stdout + audit.stderr).toBe(0);
    const report = shredReport.parse(parseJsonOutput(auditJson, audit.stdout).report);
    for (const node of enrolled.nodes) expect(report.shred.destroyedRecipients).toContain(node.recipient);
    expect(report.shred.shredded).toContainEqual(expect.objectContaining({ coveredBy: "attestation" }));
    // Every copy was sealed to the nodes too: no identity left on this machine opens the off-site one.
    for (const identity of identityFiles([app.dir, homedir()], 4))
      expect(spawnSync("age", ["-d", "-i", identity, scenario.offsite]).status, identity).not.toBe(0);
    expectNoLeak(runPlaces(runs), scenario.identities);
  });

  it("leaves a file at a node identity's place that is not the enrolled one alone: its copies stay residue naming it", async () => {
    const nodes = ["replica-1"];
    let other = "";
    const scenario = await shredScenario([], nodes, (app) => {
      other = join(app.nodeDirs["replica-1"] ?? "", "node-identity.txt");
      writeFileSync(other, "# not the enrolled identity\n");
    });
    expect(scenario.disconnect.code, scenario.disconnect.stderr).toBe(0);
    expect(readFileSync(other, "utf8")).toBe("# not the enrolled identity\n");
    const attestation = attestationFile.parse(
      JSON.parse(readFileSync(join(scenario.app.stateDir, "shred-attestation.json"), "utf8")),
    );
    expect(attestation.notDestroyed).toEqual([
      expect.objectContaining({
        role: "node",
        node: "replica-1",
        state: "not-destroyed",
        reason: stringContaining("another file"),
      }),
    ]);
    const audit = await verifyCleanup(scenario);
    expect(audit.code, audit.stdout + audit.stderr).toBe(1);
    const report = shredReport.parse(parseJsonOutput(auditJson, audit.stdout).report);
    const recipient = attestation.notDestroyed[0]?.recipient ?? "";
    for (const finding of report.findings) expect(finding.openableBy, finding.path).toEqual([recipient]);
  });

  it("refuses shred before a disconnect (exit 2, the identity kept) and an escrow --out inside a data dir", async () => {
    const app = await fresh();
    const shred = await connectOps(["shred"], app.env);
    expect(shred.code, shred.stderr).toBe(2);
    expect(shred.stderr).toMatch(/after a completed disconnect/);
    expect(existsSync(join(app.stateDir, "age-identity.txt"))).toBe(true);
    const inside = await connectOps(["backup", "escrow", "init", "--out", join(app.dataDir, "escrow.txt")], app.env);
    expect(inside.code).toBe(2);
    expect(existsSync(join(app.dataDir, "escrow.txt"))).toBe(false);
    const inState = await connectOps(["backup", "escrow", "init", "--out", join(app.stateDir, "escrow.txt")], app.env);
    expect(inState.code).toBe(2);
    const badEscrow = join(app.dir, "not-an-identity.txt");
    writeFileSync(badEscrow, "age1notarecipient\n");
    const include = await connectOps(["backup", "include", app.current, "--escrow", badEscrow], app.env);
    expect(include.code).toBe(2);
  });
});
