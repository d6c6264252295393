import { generateKeyPairSync } from "node:crypto";
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { localAuditPorts, localDisconnectPorts } from "../test-support/lifecycle-ports.js";
import { LocalTopology } from "../test-support/local-topology.js";
import { auditCleanup } from "./audit-cleanup.js";
import { runDisconnect } from "./disconnect.js";

const NODES = [
  { name: "replica-1", role: "replica" },
  { name: "cluster-1", role: "cluster" },
] as const;

/** A backup-utils data dir with one snapshot (`current`) holding `settingsJson` in settings.json. */
function dataDirWith(topology: LocalTopology, settingsJson: unknown): string {
  const dataDir = join(topology.dir, "backup-data");
  mkdirSync(join(dataDir, "20240102T000000"), { recursive: true });
  writeFileSync(join(dataDir, "20240102T000000", "settings.json"), JSON.stringify(settingsJson));
  symlinkSync("20240102T000000", join(dataDir, "current"));
  return dataDir;
}

/** An RSA key the ssh transport can load (it never gets to authenticate: the port is closed). */
function sshIdentity(dir: string): string {
  const file = join(dir, "id_rsa");
  writeFileSync(
    file,
    generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs1", format: "pem" }),
    { mode: 0o600 },
  );
  return file;
}

const request = (topology: LocalTopology, dataDirs: readonly string[] = []) => ({
  inventory: topology.inventory,
  dataDirs,
  purgeBackups: false,
});

describe("runDisconnect then auditCleanup (no CLI)", () => {
  it("disconnects everywhere, and the audit then proves it CLEAN", async () => {
    await using topology = await LocalTopology.replicated(NODES);
    const outcome = await runDisconnect(await localDisconnectPorts(topology), request(topology));
    expect(outcome).toMatchObject({ completed: true, resumed: false, pendingNodes: [], unfinishedSnapshots: 0 });
    expect(outcome.journal.cloud).toMatchObject({
      installation: { result: "deleted" },
      record: { result: "deleted" },
      revocationProof: { tokenRefused: true },
    });
    expect(outcome.journal.nodes.map((node) => [node.name, node.status])).toEqual([
      ["replica-1", "deleted"],
      ["cluster-1", "deleted"],
    ]);
    expect(topology.sim.counters()).toMatchObject({ apps: 0, installations: 0, records: 0, usableTokens: 0 });

    const audit = await auditCleanup(await localAuditPorts(topology), { dataDirs: [], format: "json" });
    expect(audit.report.verdict).toBe("clean");
    expect(audit.report.findings).toEqual([]);
    expect(audit.report.gaps).toEqual([]);
    expect(audit.report.locations.map((location) => [location.kind, location.name, location.result])).toEqual([
      ["cloud", topology.sim.url, "clean"],
      ["primary", "primary", "clean"],
      ["node", "replica-1", "clean"],
      ["node", "cluster-1", "clean"],
    ]);
  });

  it("audit finds the app key left in a snapshot the disconnect was not told about", async () => {
    await using topology = await LocalTopology.replicated(NODES);
    const dataDir = dataDirWith(topology, { "github-connect": { key: await topology.appKeyPem() } });
    expect((await runDisconnect(await localDisconnectPorts(topology), request(topology))).completed).toBe(true);

    const audit = await auditCleanup(await localAuditPorts(topology), { dataDirs: [dataDir], format: "json" });
    expect(audit.report.verdict).toBe("residue");
    expect(audit.report.findings.map((finding) => finding.path)).toHaveLength(1);
    expect(audit.report.findings[0]?.path).toMatch(/20240102T000000[\\/]settings\.json$/);
  });

  it("leaves an unreachable node pending (incomplete), and the audit names it as a gap", async () => {
    await using topology = await LocalTopology.replicated(NODES);
    // An ssh node on a closed port of the loopback: the connection is refused.
    const inventory = topology.writeInventory(
      {
        nodes: [
          { name: "replica-1", role: "replica", transport: "local", path: "nodes/replica-1" },
          { name: "replica-2", role: "replica", transport: "ssh", host: "127.0.0.1", port: 1 },
        ],
      },
      join(topology.dir, "with-unreachable.json"),
    );
    const fanOut = { retries: 0, connectTimeoutMs: 2_000 };
    const ssh = {
      knownHostsFile: join(topology.dir, "known_hosts"),
      identityFile: sshIdentity(topology.dir),
      acceptNewHostKeys: false,
      env: {},
    };
    const ports = await localDisconnectPorts(topology, { fanOut, ssh }, inventory);
    const outcome = await runDisconnect(ports, { ...request(topology), inventory });
    expect(outcome.completed).toBe(false);
    expect(outcome.pendingNodes).toEqual(["replica-2"]);
    const pending = outcome.journal.nodes.find((node) => node.name === "replica-2");
    expect(pending).toMatchObject({ status: "pending", attempts: 1 });
    expect(pending?.lastError?.code).toMatch(/^REPL_/);

    const audit = await auditCleanup(await localAuditPorts(topology, { fanOut, ssh }, inventory), {
      dataDirs: [],
      format: "json",
    });
    expect(audit.report.verdict).toBe("inconclusive");
    expect(audit.report.findings).toEqual([]);
    expect(audit.report.gaps.map((gap) => gap.location)).toContain("replica-2");
  });

  // Between steps: the step before is saved, the next has not started. Each run must then send
  // every cloud DELETE at most once in total (the resumed run sends none).
  it.each(["disconnect:vault-destroyed", "disconnect:nodes-deleted"])(
    "resumes after a crash at %s and never repeats a cloud delete",
    async (checkpoint) => {
      await using topology = await LocalTopology.replicated(NODES);
      const crash = (point: string): void => {
        if (point === checkpoint) throw new Error(`simulated crash at ${point}`);
      };
      await expect(runDisconnect(await localDisconnectPorts(topology, { crash }), request(topology))).rejects.toThrow(
        `simulated crash at ${checkpoint}`,
      );
      const deletesBefore = topology.sim.requests().filter((entry) => entry.method === "DELETE").length;
      expect(deletesBefore).toBeGreaterThan(0);

      const resumed = await runDisconnect(await localDisconnectPorts(topology), request(topology));
      expect(resumed).toMatchObject({ completed: true, resumed: true, pendingNodes: [] });
      const deletes = topology.sim.requests().filter((entry) => entry.method === "DELETE");
      expect(deletes).toHaveLength(deletesBefore);
      expect(new Set(deletes.map((entry) => entry.path)).size).toBe(deletes.length);

      const audit = await auditCleanup(await localAuditPorts(topology), { dataDirs: [], format: "json" });
      expect(audit.report.verdict).toBe("clean");
    },
  );
});
