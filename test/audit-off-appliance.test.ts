import { connectArgv, connectedAppliance, initialisedAppliance, type Appliance } from "@connect-ops/test-support";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, lstatSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cliSuite } from "./support/cli-suite.js";
import { pemLine } from "./disconnect-fixture.js";
import { expectNoLeak } from "./support/leaks.js";

// Issue 13.6 / 13.7 / 15.3 with the built CLI: the fingerprints an auditor takes off the
// appliance, the audit run there without the appliance's state dir, a standalone appliance,
// and the Markdown rendering that names the signed JSON's SHA-256.
const suite = cliSuite({ prefix: "e2e-audit-scope-" });
const { connectOps } = suite;

let counter = 0;
const fresh = (): Promise<Appliance> =>
  connectedAppliance({ cloud: suite.sim, dir: join(suite.scratch, `a${counter++}`), connectOps, nodes: ["replica-1"] });

const sha256 = (path: string): string => `sha256:${createHash("sha256").update(readFileSync(path)).digest("hex")}`;

describe("fingerprints export → verify-cleanup --fingerprints off the appliance", () => {
  it("exports the secret-free set, and an auditor without the state dir finds a key planted in a snapshot", async () => {
    const app = await fresh();
    const disconnected = await connectOps(
      ["disconnect", "--inventory", app.inventory, "--data-dir", app.dataDir, "--yes"],
      app.env,
    );
    expect(disconnected.code, disconnected.stderr).toBe(0);
    const exported = join(app.dir, "connect-fingerprints.json");
    const run = await connectOps(["--json", "fingerprints", "export", "--out", exported], app.env);
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ file: exported, fingerprintSets: [expect.any(String)] });
    expect(lstatSync(exported).mode & 0o777).toBe(0o644);
    const again = await connectOps(["fingerprints", "export", "--out", exported], app.env);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain("already exists");
    expect((await connectOps(["fingerprints", "export", "--out", exported, "--force"], app.env)).code).toBe(0);
    expectNoLeak(
      { exported: readFileSync(exported, "latin1"), stdout: run.stdout },
      { pem: app.secrets.pem, token: app.secrets.token },
    );

    // The auditor's machine: the export and a copy of the backups; its own state dir (own signing key), no vault, no journal.
    const auditor = join(suite.scratch, `auditor-${counter++}`);
    mkdirSync(auditor);
    const copy = join(auditor, "fingerprints.json");
    writeFileSync(copy, readFileSync(exported));
    const backups = join(auditor, "backup-data");
    execFileSync("cp", ["-a", app.dataDir, backups]);
    writeFileSync(join(backups, "20240102T000000", "leaked-key.txt"), `${pemLine(app.secrets.pem)}\n`);
    const env = { CONNECT_OPS_STATE_DIR: join(auditor, "state") };
    expect((await connectOps(["init"], env)).code).toBe(0);

    const scan = await connectOps(["--json", "backup", "scan", backups, "--fingerprints", copy], env);
    expect(scan.code, scan.stderr).toBe(1);
    const report = join(auditor, "audit.json");
    const audit = await connectOps(
      ["--json", "verify-cleanup", "--fingerprints", copy, "--data-dir", backups, "--report", report],
      env,
    );
    expect(audit.code, audit.stderr).toBe(1);
    const json = JSON.parse(audit.stdout) as {
      verdict: string;
      findings: { path: string }[];
      gaps: { location: string; reason: string }[];
      report: { fingerprintSource: string; subject: { appSlug?: string } };
    };
    expect(json.verdict).toBe("residue");
    expect(json.findings.some((finding) => finding.path.endsWith("leaked-key.txt"))).toBe(true);
    expect(json.gaps.find((gap) => gap.location === "primary")?.reason).toMatch(/^primary not audited/);
    expect(json.report.fingerprintSource).toBe(`file ${copy}`);
    // The export names the connection, so the cloud is asked off the appliance too: the app is gone.
    expect(json.report.subject.appSlug).toEqual(expect.any(String));
    expect((await connectOps(["verify-report", report], env)).code).toBe(0);
    expect(existsSync(join(auditor, "state", "vault"))).toBe(false);

    const bad = join(auditor, "bad.json");
    writeFileSync(bad, JSON.stringify({ format: "connect-ops/fingerprints@1", fingerprints: [] }));
    const refused = await connectOps(["verify-cleanup", "--fingerprints", bad, "--data-dir", backups], env);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("bad.json");
  });

  it("carries the sealed-copy ledger: off the appliance a copy include wrote, under another name, is a finding with its recipients; without it, a gap", async () => {
    const app = await fresh();
    const identity = join(app.dir, "backup-identity.txt");
    execFileSync("age-keygen", ["-o", identity], { stdio: "ignore" });
    const recipient = execFileSync("age-keygen", ["-y", identity]).toString().trim();
    const included = await connectOps(["backup", "include", app.current, "--recipient", recipient], app.env);
    expect(included.code, included.stderr).toBe(0);
    const exported = join(app.dir, "connect-fingerprints.json");
    const run = await connectOps(["--json", "fingerprints", "export", "--out", exported], app.env);
    expect(run.code, run.stderr).toBe(0);
    // Every copy the ledger recorded (the vault copies pushed to the replica too), the include's among them.
    const file = JSON.parse(readFileSync(exported, "utf8")) as {
      sealedCopies: { sha256: string; recipients: string[] }[];
    };
    expect(JSON.parse(run.stdout)).toMatchObject({ sealedCopies: file.sealedCopies.length });
    for (const copy of file.sealedCopies) expect(copy.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(file.sealedCopies.filter((copy) => copy.recipients.includes(recipient))).toHaveLength(1);
    expectNoLeak({ exported: readFileSync(exported, "latin1") }, { pem: app.secrets.pem, token: app.secrets.token });

    // The auditor's copy of the backups, the sealed copy moved to a name nothing knows, no manifest beside it.
    const auditor = join(suite.scratch, `auditor-${counter++}`);
    mkdirSync(auditor);
    const backups = join(auditor, "backup-data");
    execFileSync("cp", ["-a", app.dataDir, backups]);
    const snapshot = join(backups, "20240102T000000");
    renameSync(join(snapshot, "github-connect", "credentials.age"), join(snapshot, "old-creds.bin"));
    rmSync(join(snapshot, "github-connect"), { recursive: true });
    const env = { CONNECT_OPS_STATE_DIR: join(auditor, "state") };
    expect((await connectOps(["init"], env)).code).toBe(0);
    const withLedger = join(auditor, "fingerprints.json");
    writeFileSync(withLedger, readFileSync(exported));
    const withoutLedger = join(auditor, "fingerprints-no-ledger.json");
    writeFileSync(
      withoutLedger,
      JSON.stringify({ ...JSON.parse(readFileSync(exported, "utf8")), sealedCopies: undefined }),
    );

    const known = await connectOps(["--json", "backup", "scan", snapshot, "--fingerprints", withLedger], env);
    expect(known.code, known.stdout).toBe(1);
    const findings = (JSON.parse(known.stdout) as { findings: { path: string; form: string; recipients?: string[] }[] })
      .findings;
    expect(
      findings.some(
        (finding) =>
          finding.path.endsWith("old-creds.bin") &&
          finding.form === "sealed-copy" &&
          (finding.recipients ?? []).includes(recipient),
      ),
      known.stdout,
    ).toBe(true);
    const audit = await connectOps(
      ["--json", "verify-cleanup", "--fingerprints", withLedger, "--data-dir", backups],
      env,
    );
    expect(audit.code, audit.stdout).toBe(1);
    const audited = JSON.parse(audit.stdout) as { verdict: string; findings: { form: string }[] };
    expect(audited.verdict).toBe("residue");
    expect(audited.findings.some((finding) => finding.form === "sealed-copy")).toBe(true);

    const unknown = await connectOps(["--json", "backup", "scan", snapshot, "--fingerprints", withoutLedger], env);
    expect(unknown.code, unknown.stdout).toBe(3);
    const gaps = (JSON.parse(unknown.stdout) as { gaps: { path?: string; reason: string }[] }).gaps;
    expect(
      gaps.some((gap) => gap.reason.startsWith("age-not-ours") && (gap.path ?? "").endsWith("old-creds.bin")),
    ).toBe(true);
  });

  it("refuses fingerprints export on a state dir with nothing to export (exit 2, no file)", async () => {
    const dir = join(suite.scratch, `empty-${counter++}`);
    const env = { CONNECT_OPS_STATE_DIR: join(dir, "state") };
    mkdirSync(dir);
    expect((await connectOps(["init"], env)).code).toBe(0);
    const out = join(dir, "f.json");
    const run = await connectOps(["fingerprints", "export", "--out", out], env);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("no credential fingerprints");
    expect(existsSync(out)).toBe(false);
    expect((await connectOps(["fingerprints", "export"], env)).code).toBe(2);
  });
});

describe("a standalone appliance (no replica): disconnect and verify-cleanup without --inventory", () => {
  it("exits 0 with a signed report that says 'no nodes: standalone'; the Markdown names the JSON's SHA-256", async () => {
    const layout = await initialisedAppliance({
      cloud: suite.sim,
      dir: join(suite.scratch, `s${counter++}`),
      connectOps,
    });
    expect((await connectOps(connectArgv(layout, suite.sim.url), layout.env)).code).toBe(0);
    const disconnected = await connectOps(["--json", "disconnect", "--data-dir", layout.dataDir, "--yes"], layout.env);
    expect(disconnected.code, disconnected.stderr).toBe(0);
    expect(JSON.parse(disconnected.stdout)).toMatchObject({
      completed: true,
      nodes: [],
      topology: "no nodes: standalone",
    });

    const report = join(layout.dir, "audit.json");
    const audit = await connectOps(
      ["--json", "verify-cleanup", "--data-dir", layout.dataDir, "--report", report, "--format", "md"],
      layout.env,
    );
    expect(audit.code, audit.stdout).toBe(0);
    const json = JSON.parse(audit.stdout) as {
      verdict: string;
      reportSha256: string;
      report: { topology: { note?: string }; locations: { kind: string; layersDecoded: object }[] };
    };
    expect(json.verdict).toBe("clean");
    expect(json.report.topology.note).toBe("no nodes: standalone");
    expect(json.report.locations.map((location) => location.kind)).toEqual([
      "cloud",
      "primary",
      "snapshot",
      "snapshot",
      "data-dir",
    ]);
    expect((await connectOps(["verify-report", report], layout.env)).code).toBe(0);
    const markdown = readFileSync(`${report}.md`, "utf8");
    expect(json.reportSha256).toBe(sha256(report));
    expect(markdown).toContain(sha256(report));
    expect(markdown).toContain("This is a rendering, not the signed document");
    const human = await connectOps(["verify-cleanup", "--data-dir", layout.dataDir], layout.env);
    expect(human.code).toBe(0);
    expect(human.stdout).toContain("no nodes: standalone");
  });
});
