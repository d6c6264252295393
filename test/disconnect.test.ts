import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cliSuite } from "./support/cli-suite.js";
import {
  connectedAppliance,
  DISCONNECT_CRASH_POINTS,
  parseJsonOutput,
  type Appliance,
} from "@connect-ops/test-support";
import { auditJson, auditReportJson, disconnectJson } from "./support/cli-json.js";
import { backupRecipient, pemLine, plantInArchives } from "./disconnect-fixture.js";
import { expectNoLeak } from "./support/leaks.js";

const suite = cliSuite({ prefix: "e2e-disconnect-", testHooks: true });
const { connectOps } = suite;

let counter = 0;
const fresh = (nodes?: readonly string[]): Promise<Appliance> =>
  connectedAppliance({
    cloud: suite.sim,
    dir: join(suite.scratch, `a${counter++}`),
    connectOps,
    ...(nodes === undefined ? {} : { nodes }),
  });

function filesUnder(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (!existsSync(dir)) return out;
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile())
      out[join(entry.parentPath, entry.name)] = readFileSync(join(entry.parentPath, entry.name), "latin1");
  }
  return out;
}

function opensslVerify(stateDir: string, report: string): number | null {
  return spawnSync("openssl", [
    "pkeyutl",
    "-verify",
    "-pubin",
    "-inkey",
    join(stateDir, "audit-signing.pub"),
    "-rawin",
    "-in",
    report,
    "-sigfile",
    `${report}.sig`,
  ]).status;
}

const disconnect = (app: Appliance, extra: readonly string[] = [], env: Record<string, string> = {}) =>
  connectOps(["--json", "disconnect", "--inventory", app.inventory, "--data-dir", app.dataDir, "--yes", ...extra], {
    ...app.env,
    ...env,
  });
const verify = (app: Appliance, extra: readonly string[] = []) =>
  connectOps(["--json", "verify-cleanup", "--inventory", app.inventory, "--data-dir", app.dataDir, ...extra], app.env);

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
    const before = suite.sim.counters();
    const first = await disconnect(app);
    expect(first.code, first.stderr).toBe(3);
    const firstJson = parseJsonOutput(disconnectJson, first.stdout);
    expect(firstJson.pendingNodes).toEqual(["data-2"]);
    expect(firstJson.cloud?.revocationProof?.tokenRefused).toBe(true);
    expect(firstJson.snapshots?.entries.find((entry) => entry.snapshot === "20240101T000000")).toMatchObject({
      sealedCopy: true,
      recipients: [recipient],
    });
    expect(existsSync(join(app.stateDir, "vault"))).toBe(false);

    const audit = await verify(app);
    expect([1, 3], audit.stderr).toContain(audit.code);
    const audited = parseJsonOutput(auditJson, audit.stdout);
    expect(audited.verdict).toBe("residue");
    expect(audited.gaps.some((gap) => gap.location === "data-2")).toBe(true);
    const forms = new Set(audited.findings.map((finding) => finding.form));
    expect(forms).toContain("sealed-copy");
    expect(forms).toContain("token");
    expect(
      audited.findings.some(
        (finding) => finding.path.endsWith("planted-secrets.tar") && finding.member === "planted.txt",
      ),
    ).toBe(true);
    expect(audited.findings.some((finding) => finding.path.endsWith("planted-dump.sql.gz"))).toBe(true);

    rmSync(down);
    renameSync(`${down}.away`, down);
    const second = await disconnect(app);
    expect(second.code, second.stderr).toBe(0);
    const { nodes } = parseJsonOutput(disconnectJson, second.stdout);
    expect(nodes.map((node) => [node.name, node.status, node.attempts])).toEqual([
      ["replica-1", "deleted", 1],
      ["data-1", "deleted", 1],
      ["data-2", "deleted", 2],
    ]);

    expect((await disconnect(app, ["--purge-backups"])).code).toBe(0);
    const after = suite.sim.counters();
    expect(after.appsDeleted - before.appsDeleted).toBe(1);
    expect(after.installationsDeleted - before.installationsDeleted).toBe(1);
    expect(after.recordsDeleted - before.recordsDeleted).toBe(1);

    const report = join(app.dir, "audit.json");
    const clean = await verify(app, ["--report", report, "--format", "md"]);
    expect(clean.code, clean.stdout).toBe(0);
    const cleanJson = parseJsonOutput(auditJson, clean.stdout);
    expect(cleanJson).toMatchObject({ verdict: "clean", findings: [], gaps: [] });
    expect(Buffer.from(cleanJson.signature, "base64")).toHaveLength(64);
    expect(readFileSync(`${report}.sig`)).toHaveLength(64);
    expect(readFileSync(`${report}.md`, "utf8")).toContain("CLEAN");
    const reportJson = parseJsonOutput(auditReportJson, readFileSync(report, "utf8"));
    expect(reportJson.locations.map((location) => location.kind)).toEqual([
      "cloud",
      "primary",
      "node",
      "node",
      "node",
      "snapshot",
      "snapshot",
      "data-dir",
    ]);
    expect(reportJson.fingerprintSets).toHaveLength(1);
    expect(opensslVerify(app.stateDir, report)).toBe(0);
    expect((await connectOps(["verify-report", report], app.env)).code).toBe(0);

    const bytes = readFileSync(report);
    bytes[10] = bytes[10] === 0x41 ? 0x42 : 0x41;
    writeFileSync(report, bytes);
    expect(opensslVerify(app.stateDir, report)).not.toBe(0);
    expect((await connectOps(["verify-report", report], app.env)).code).toBe(1);

    expectNoLeak(
      {
        ...filesUnder(app.stateDir),
        ...filesUnder(app.dataDir),
        ...filesUnder(join(app.dir, "nodes")),
        report: readFileSync(report, "latin1"),
        md: readFileSync(`${report}.md`, "latin1"),
      },
      { pem: app.secrets.pem, token: app.secrets.token },
    );
  });
});

describe("disconnect after a SIGKILL at each journal step", () => {
  it.each(DISCONNECT_CRASH_POINTS)(
    "resumes after a crash at %s without repeating an effect or skipping a node",
    async (point) => {
      const app = await fresh(["replica-1", "data-1"]);
      const before = suite.sim.counters();
      const killed = await disconnect(app, [], { CONNECT_OPS_FAULT_CRASH_AT: point });
      expect(killed.signal).toBe("SIGKILL");
      const resumed = await disconnect(app);
      expect(resumed.code, resumed.stderr).toBe(0);
      const json = parseJsonOutput(disconnectJson, resumed.stdout);
      expect(json.completed).toBe(true);
      expect(json.nodes.every((node) => node.status === "deleted" || node.status === "absent")).toBe(true);
      for (const dir of Object.values(app.nodeDirs)) expect(readdirSync(dir)).toEqual([]);
      const after = suite.sim.counters();
      expect(after.appsDeleted - before.appsDeleted).toBe(1);
      expect(after.installationsDeleted - before.installationsDeleted).toBe(1);
      expect(after.recordsDeleted - before.recordsDeleted).toBe(1);
      expect(after.tokensRevoked - before.tokensRevoked).toBeLessThanOrEqual(1);
      expect(json.fingerprintSets).toHaveLength(1);
      expectNoLeak(filesUnder(app.stateDir), { pem: app.secrets.pem, token: app.secrets.token });
      expect((await verify(app)).code).toBe(0);
    },
  );
});

describe("verify-cleanup positive controls: a planted credential in each location class fails the audit", () => {
  it("finds a plant in the state dir, a node dir, a plain file, a tar member, a gz stream, a nested archive, current and an older snapshot", async () => {
    const app = await fresh(["replica-1"]);
    expect((await disconnect(app, ["--purge-backups"])).code).toBe(0);
    expect((await verify(app)).code).toBe(0);
    const token = `token: ${app.secrets.token}\n`;
    const line = `${pemLine(app.secrets.pem)}\n`;
    const nested = (dir: string): void => {
      const inner = join(dir, "inner");
      execFileSync("mkdir", ["-p", inner]);
      writeFileSync(join(inner, "key.txt"), line);
      execFileSync("tar", ["-czf", join(dir, "inner.tar.gz"), "-C", inner, "key.txt"]);
      execFileSync("tar", ["-cf", join(dir, "outer.tar"), "-C", dir, "inner.tar.gz"]);
      rmSync(inner, { recursive: true });
      rmSync(join(dir, "inner.tar.gz"));
    };
    const controls: Record<string, { plant: () => string[]; expect: RegExp }> = {
      "primary state dir": { plant: () => [write(join(app.stateDir, "notes.txt"), token)], expect: /primary/ },
      "node dir": {
        plant: () => [write(join(app.nodeDirs["replica-1"] as string, "debug.log"), line)],
        expect: /replica-1/,
      },
      "plain snapshot file (current)": {
        plant: () => [write(join(app.current, "settings-extra.json"), JSON.stringify({ key: app.secrets.pem }))],
        expect: /20240102T000000/,
      },
      "older snapshot": { plant: () => [write(join(app.older, "old.txt"), token)], expect: /20240101T000000/ },
      "tar member and gz stream": {
        plant: () => {
          plantInArchives(app.current, token, "control");
          return [join(app.current, "control-secrets.tar"), join(app.current, "control-dump.sql.gz")];
        },
        expect: /control-(secrets\.tar|dump\.sql\.gz)/,
      },
      "nested archive": {
        plant: () => {
          nested(app.older);
          return [join(app.older, "outer.tar")];
        },
        expect: /outer\.tar/,
      },
    };
    for (const [name, control] of Object.entries(controls)) {
      const planted = control.plant();
      const audit = await verify(app);
      expect(audit.code, `${name}: ${audit.stderr}`).toBe(1);
      const { findings } = parseJsonOutput(auditJson, audit.stdout);
      expect(
        findings.some((finding) => control.expect.test(`${finding.location} ${finding.path}`)),
        name,
      ).toBe(true);
      if (name === "nested archive")
        expect(
          findings.some((finding) => finding.member === "inner.tar.gz!key.txt"),
          name,
        ).toBe(true);
      for (const path of planted) rmSync(path);
      const again = await verify(app);
      expect(again.code, `${name} removed: ${again.stdout}`).toBe(0);
    }
  });
});

describe("verify-cleanup on the appliance after disconnect: age files under any name", () => {
  it("a sealed copy of the vault left under another name is a finding by its ledger hash; a foreign age file is a gap, never CLEAN", async () => {
    const app = await fresh(["replica-1"]);
    // What a careless operator keeps: the vault's sealed copy, copied aside before disconnect.
    const sealed = readFileSync(join(app.stateDir, "vault", "credentials.age"));
    expect((await disconnect(app, ["--purge-backups"])).code).toBe(0);
    expect((await verify(app)).code).toBe(0);

    const aside = join(app.nodeDirs["replica-1"] as string, "old-creds.bin");
    writeFileSync(aside, sealed);
    const known = await verify(app);
    expect(known.code, known.stderr).toBe(1);
    const knownOut = parseJsonOutput(auditJson, known.stdout);
    expect(knownOut.verdict).not.toBe("CLEAN");
    expect(
      knownOut.findings.some(
        (finding) =>
          finding.form === "sealed-copy" &&
          /replica-1/.test(`${finding.location} ${finding.path}`) &&
          /old-creds\.bin/.test(finding.path),
      ),
      known.stdout,
    ).toBe(true);

    // The same copy inside a tar.gz in the current snapshot, under yet another name.
    rmSync(aside);
    const inner = join(app.dir, "inner");
    mkdirSync(inner);
    writeFileSync(join(inner, "notes.bin"), sealed);
    execFileSync("tar", ["-czf", join(app.current, "misc.tar.gz"), "-C", inner, "notes.bin"]);
    rmSync(inner, { recursive: true });
    const archived = await verify(app);
    expect(archived.code, archived.stderr).toBe(1);
    expect(
      parseJsonOutput(auditJson, archived.stdout).findings.some(
        (finding) => finding.form === "sealed-copy" && finding.member === "notes.bin",
      ),
      archived.stdout,
    ).toBe(true);
    rmSync(join(app.current, "misc.tar.gz"));

    // An age file sealed to a key the appliance never had: nothing can open it, so it is a gap (exit 3).
    const recipient = backupRecipient(app.dir);
    const foreign = join(app.stateDir, "escrow.age");
    execFileSync("age", ["-r", recipient, "-o", foreign], { input: "not a credential\n" });
    const unknown = await verify(app);
    expect(unknown.code, unknown.stderr).toBe(3);
    const unknownOut = parseJsonOutput(auditJson, unknown.stdout);
    expect(unknownOut.verdict).not.toBe("CLEAN");
    expect(unknownOut.findings).toEqual([]);
    expect(
      unknownOut.gaps.some((gap) => gap.reason.startsWith("age-not-ours") && (gap.path ?? "").endsWith("escrow.age")),
      unknown.stdout,
    ).toBe(true);

    rmSync(foreign);
    expect((await verify(app)).code).toBe(0);
    const outputs = { known, archived, unknown };
    expectNoLeak(
      Object.fromEntries(
        Object.entries(outputs).flatMap(([name, run]) => [
          [`${name} stdout`, run.stdout],
          [`${name} stderr`, run.stderr],
        ]),
      ),
      { pem: app.secrets.pem, token: app.secrets.token },
    );
  });
});

function write(path: string, content: string): string {
  writeFileSync(path, content);
  return path;
}

describe("disconnect and verify-report on bad input", () => {
  it("refuses an unknown data dir before changing anything (exit 2)", async () => {
    const app = await fresh(["replica-1"]);
    const run = await connectOps(
      ["disconnect", "--inventory", app.inventory, "--data-dir", join(app.dir, "no-such-dir"), "--yes"],
      app.env,
    );
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/BACKUP_NOT_FOUND.*no-such-dir/);
    expect(existsSync(join(app.stateDir, "journal", "disconnect.json"))).toBe(false);
    expect(existsSync(join(app.stateDir, "vault", "credentials.age"))).toBe(true);
  });

  it("refuses without a terminal unless --yes (exit 2)", async () => {
    const app = await fresh(["replica-1"]);
    const run = await connectOps(["disconnect", "--inventory", app.inventory], app.env);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/CLI_CONFIRMATION_REQUIRED.*--yes/);
    expect(existsSync(join(app.stateDir, "vault", "credentials.age"))).toBe(true);
  });

  it("treats a node that never had credentials as absent, not as an error", async () => {
    const app = await fresh(["replica-1"]);
    const inventory = join(app.dir, "inventory-plus.json");
    writeFileSync(
      inventory,
      JSON.stringify({
        nodes: [
          { name: "replica-1", role: "replica", transport: "local", path: "nodes/replica-1" },
          { name: "never", role: "cluster", transport: "local", path: "nodes/never" },
        ],
      }),
    );
    const run = await connectOps(["--json", "disconnect", "--inventory", inventory, "--yes"], app.env);
    expect(run.code, run.stderr).toBe(0);
    expect(parseJsonOutput(disconnectJson, run.stdout).nodes.map((node) => [node.name, node.status])).toEqual([
      ["replica-1", "deleted"],
      ["never", "absent"],
    ]);
  });

  it("verify-report: missing signature exits 2, a signature by another key exits 1", async () => {
    const app = await fresh(["replica-1"]);
    expect((await disconnect(app)).code).toBe(0);
    const report = join(app.dir, "r.json");
    expect((await verify(app, ["--report", report])).code).toBe(0);
    const other = join(app.dir, "other");
    execFileSync("mkdir", ["-p", other]);
    expect((await connectOps(["init"], { CONNECT_OPS_STATE_DIR: join(other, "state") })).code).toBe(0);
    const wrongKey = await connectOps(
      ["verify-report", report, "--public-key", join(other, "state", "audit-signing.pub")],
      app.env,
    );
    expect(wrongKey.code).toBe(1);
    expect(wrongKey.stdout).toMatch(/INVALID/);
    writeFileSync(`${report}.sig`, Buffer.alloc(64));
    expect((await connectOps(["verify-report", report], app.env)).code).toBe(1);
    rmSync(`${report}.sig`);
    const missing = await connectOps(["verify-report", report], app.env);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/signature/);
    expect((await connectOps(["verify-report", join(app.dir, "nope.json")], app.env)).code).toBe(2);
  });
});
