import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { verifyReportBytes } from "../flows/audit-report-sign.js";
import { localAuditPorts, localDisconnectPorts } from "../test-support/lifecycle-ports.js";
import { LocalTopology } from "../test-support/local-topology.js";
import { auditCleanup } from "./audit-cleanup.js";
import { STANDALONE } from "./audit-scope.js";
import { runDisconnect } from "./disconnect.js";

const NODES = [
  { name: "replica-1", role: "replica" },
  { name: "cluster-1", role: "cluster" },
] as const;

/** A PEM body line of the key: what a partial leak looks like. */
function pemLine(pem: string): string {
  const line = pem.split("\n").find((candidate) => candidate.length >= 60 && !candidate.startsWith("-----"));
  if (line === undefined) throw new Error("no PEM body line");
  return line;
}

/** A backup-utils data dir with one clean snapshot (`current`). */
function dataDir(topology: LocalTopology, name = "backup-data"): string {
  const dir = join(topology.dir, name);
  mkdirSync(join(dir, "20240102T000000"), { recursive: true });
  writeFileSync(join(dir, "20240102T000000", "settings.json"), "{}");
  symlinkSync("20240102T000000", join(dir, "current"));
  return dir;
}

const journalFile = (topology: LocalTopology): string => join(topology.stateDir, "journal", "disconnect.json");

describe("auditCleanup covers what the disconnect journal recorded (issue 13.6)", () => {
  it("audits every recorded node and data dir when none is given, and finds residue planted in them", async () => {
    await using topology = await LocalTopology.replicated(NODES);
    const data = dataDir(topology);
    const pem = await topology.appKeyPem();
    const done = await runDisconnect(await localDisconnectPorts(topology), {
      inventory: topology.inventory,
      dataDirs: [data],
      purgeBackups: false,
    });
    expect(done.completed).toBe(true);

    // Given nothing: no inventory, no data dir. The journal still knows both nodes and the data dir.
    const ports = await localAuditPorts(topology, { nodes: [] });
    const clean = await auditCleanup(ports, { dataDirs: [], format: "json" });
    expect(clean.report.verdict).toBe("clean");
    expect(clean.report.locations.map((location) => [location.kind, location.name])).toEqual([
      ["cloud", topology.sim.url],
      ["primary", "primary"],
      ["node", "replica-1"],
      ["node", "cluster-1"],
      ["snapshot", expect.stringContaining("20240102T000000")],
      ["data-dir", expect.stringContaining("backup-data")],
    ]);
    expect(clean.report.topology).toMatchObject({ source: "the disconnect journal", nodes: 2, recordedNodes: 2 });

    writeFileSync(join(topology.nodeDir("cluster-1"), "debug.log"), `${pemLine(pem)}\n`);
    writeFileSync(join(data, "20240102T000000", "leak.txt"), pem);
    const residue = await auditCleanup(ports, { dataDirs: [], format: "json" });
    expect(residue.report.verdict).toBe("residue");
    expect(residue.report.findings.map((finding) => [finding.location, finding.path])).toEqual(
      expect.arrayContaining([
        ["cluster-1", join(topology.nodeDir("cluster-1"), "debug.log")],
        [expect.stringContaining("20240102T000000"), expect.stringMatching(/leak\.txt$/)],
      ]),
    );
  });

  it("names a recorded ssh node it cannot reach as a gap: not given, and the journal lacks its port and user", async () => {
    await using topology = await LocalTopology.replicated(NODES);
    expect(
      (
        await runDisconnect(await localDisconnectPorts(topology), {
          inventory: topology.inventory,
          dataDirs: [],
          purgeBackups: false,
        })
      ).completed,
    ).toBe(true);
    // A journal written before port and user were recorded, naming an ssh node no inventory given now lists.
    const journal = JSON.parse(readFileSync(journalFile(topology), "utf8")) as { nodes: unknown[] };
    journal.nodes.push({
      name: "far-replica",
      role: "replica",
      transport: "ssh",
      host: "10.0.0.9",
      path: "/data/user/common/github-connect",
      status: "deleted",
      attempts: 1,
    });
    writeFileSync(journalFile(topology), JSON.stringify(journal));

    const audit = await auditCleanup(await localAuditPorts(topology, { nodes: [] }), { dataDirs: [], format: "json" });
    expect(audit.report.verdict).toBe("inconclusive");
    expect(audit.report.gaps.map((gap) => [gap.location, gap.reason.split(":")[0]])).toEqual([
      ["far-replica", "node recorded by disconnect but not audited"],
    ]);
    expect(audit.report.notChecked).toContainEqual(expect.objectContaining({ kind: "gap", location: "far-replica" }));
  });

  it("is never clean about a data dir with no snapshot: a gap 'no snapshot found in DIR'", async () => {
    await using topology = await LocalTopology.replicated(NODES);
    await runDisconnect(await localDisconnectPorts(topology), {
      inventory: topology.inventory,
      dataDirs: [],
      purgeBackups: false,
    });
    const empty = join(topology.dir, "empty-data");
    mkdirSync(empty);
    const audit = await auditCleanup(await localAuditPorts(topology), { dataDirs: [empty], format: "json" });
    expect(audit.report.verdict).toBe("inconclusive");
    expect(audit.report.gaps).toEqual([{ location: empty, path: empty, reason: `no snapshot found in ${empty}` }]);
    expect(audit.report.locations.at(-1)).toMatchObject({ kind: "data-dir", result: "gap" });
  });

  it("shows a recorded snapshot that was pruned since as gone, and audits the rest of its data dir", async () => {
    await using topology = await LocalTopology.replicated(NODES);
    const data = dataDir(topology);
    mkdirSync(join(data, "20240101T000000"));
    writeFileSync(join(data, "20240101T000000", "old.json"), "{}");
    await runDisconnect(await localDisconnectPorts(topology), {
      inventory: topology.inventory,
      dataDirs: [data],
      purgeBackups: false,
    });
    rmSync(join(data, "20240101T000000"), { recursive: true });
    const audit = await auditCleanup(await localAuditPorts(topology), { dataDirs: [], format: "json" });
    expect(audit.report.verdict).toBe("clean");
    const recorded = audit.report.locations.find((location) => location.name.endsWith("(recorded)"));
    expect(recorded).toMatchObject({ kind: "snapshot", result: "clean" });
    expect(recorded?.checks[0]?.detail).toContain("no longer exists");
  });
});

describe("standalone appliance (issue 15.3): no inventory", () => {
  it("disconnects with no nodes, and the audit of the primary and the snapshots is clean, signed, 'no nodes: standalone'", async () => {
    await using topology = await LocalTopology.create(NODES); // connected, never replicated
    const data = dataDir(topology);
    const outcome = await runDisconnect(await localDisconnectPorts(topology, { nodes: [] }), {
      dataDirs: [data],
      purgeBackups: false,
    });
    expect(outcome).toMatchObject({ completed: true, pendingNodes: [] });
    expect(outcome.journal.nodes).toEqual([]);

    const ports = await localAuditPorts(topology, { nodes: [] });
    const reportFile = join(topology.dir, "audit.json");
    const audit = await auditCleanup(ports, { dataDirs: [data], format: "md", reportFile });
    expect(audit.report.verdict).toBe("clean");
    expect(audit.report.topology).toEqual({ source: "none", nodes: 0, recordedNodes: 0, note: STANDALONE });
    expect(audit.report.locations.map((location) => location.kind)).toEqual([
      "cloud",
      "primary",
      "snapshot",
      "data-dir",
    ]);
    const bytes = readFileSync(reportFile);
    expect(verifyReportBytes(bytes, readFileSync(`${reportFile}.sig`), ports.signingKey.publicKey)).toBe("valid");
    expect(readFileSync(`${reportFile}.md`, "utf8")).toContain(`nodes: ${STANDALONE}`);
  });
});

describe("the report says what was and was not checked (issue 13.7)", () => {
  it("lists layers decoded per location, the method's limits in notChecked, the method version; the Markdown names the JSON's SHA-256", async () => {
    await using topology = await LocalTopology.create(NODES);
    const data = dataDir(topology);
    const snapshot = join(data, "20240102T000000");
    const { execFileSync } = await import("node:child_process");
    writeFileSync(join(snapshot, "notes.txt"), "nothing secret\n");
    execFileSync("tar", ["-czf", join(snapshot, "notes.tar.gz"), "-C", snapshot, "notes.txt"]);
    await runDisconnect(await localDisconnectPorts(topology, { nodes: [] }), { dataDirs: [data], purgeBackups: false });

    const reportFile = join(topology.dir, "audit.json");
    const audit = await auditCleanup(await localAuditPorts(topology, { nodes: [] }), {
      dataDirs: [data],
      format: "md",
      reportFile,
    });
    const report = audit.report;
    expect(report.format).toBe("connect-ops/cleanup-report@2");
    expect(report.detectionMethod).toMatch(
      /^connect-ops-scan\/\d+ \(layers: age, gzip, .*\btar\b.*; forms: .*key-content/,
    );
    expect(report.locations.find((location) => location.kind === "snapshot")?.layersDecoded).toEqual({
      gzip: 1,
      tar: 1,
    });
    expect(report.locations.find((location) => location.kind === "primary")?.layersDecoded).toEqual({});
    const limits = report.notChecked.filter((item) => item.kind === "limit");
    expect(limits.length).toBeGreaterThan(0);
    expect(limits.map((item) => item.reason).join("\n")).toMatch(/zip members.*git pack deltas/);
    expect(report.notChecked.filter((item) => item.kind === "gap")).toEqual([]);

    const bytes = readFileSync(reportFile);
    const sha256 = `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
    expect(audit.reportSha256).toBe(sha256);
    const markdown = readFileSync(`${reportFile}.md`, "utf8");
    expect(markdown).toContain("This is a rendering, not the signed document");
    expect(markdown).toContain(sha256);
    expect(markdown).toContain("| gzip 1, tar 1 |");
  });
});
