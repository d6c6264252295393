import { CredentialVault, initStateDir, loadStateDir } from "@connect-ops/credential-vault";
import { lstatSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { exitCodeFor } from "../errors.js";
import { loadFingerprintSources } from "../flows/fingerprints.js";
import { localAuditPorts } from "../test-support/lifecycle-ports.js";
import { LocalTopology } from "../test-support/local-topology.js";
import { readAuditSigningKey } from "./audit-signing-key.js";
import { auditCleanup } from "./audit-cleanup.js";
import { exportFingerprints, type FingerprintExportPorts } from "./fingerprints-export.js";

const exportPorts = (topology: LocalTopology): FingerprintExportPorts => ({
  stateDir: topology.stateDir,
  vault: new CredentialVault(join(topology.stateDir, "vault")),
  journalDir: join(topology.stateDir, "journal"),
  now: () => Date.parse("2026-01-02T03:04:05Z"),
});

describe("exportFingerprints", () => {
  it("writes the vault's fingerprint sets and the connection's ids, secret-free, readable by --fingerprints", async () => {
    await using topology = await LocalTopology.create([{ name: "replica-1", role: "replica" }]);
    const out = join(topology.dir, "fingerprints.json");
    const outcome = await exportFingerprints(exportPorts(topology), { outFile: out, given: out, force: false });
    expect(outcome.fingerprintSets).toHaveLength(1);
    expect(lstatSync(out).mode & 0o777).toBe(0o644);
    const document = JSON.parse(readFileSync(out, "utf8")) as Record<string, unknown>;
    expect(document).toMatchObject({
      format: "connect-ops/fingerprints@1",
      exportedAt: "2026-01-02T03:04:05.000Z",
      subject: { cloudUrl: topology.sim.url, appId: outcome.subject?.appId, appSlug: outcome.subject?.appSlug },
    });
    const state = await loadStateDir(topology.stateDir);
    const { bundle } = await new CredentialVault(join(topology.stateDir, "vault")).open(state.identities);
    const text = readFileSync(out, "utf8");
    for (const secret of [
      bundle.app.privateKeyPem,
      ...bundle.app.privateKeyPem.split("\n").filter((l) => l.length > 40),
    ])
      expect(text).not.toContain(secret);
    if (bundle.token !== undefined) expect(text).not.toContain(bundle.token.value);

    const loaded = await loadFingerprintSources({ stateDir: join(topology.dir, "no-state"), fingerprintsFile: out });
    expect(loaded).toMatchObject({ fromStateDir: 0, fileSubject: { appSlug: outcome.subject?.appSlug } });
    expect(loaded.sets.map((set) => set.id)).toEqual(outcome.fingerprintSets);
  });

  it("refuses to overwrite without --force (exit 2, file unchanged), replaces with it, never replaces a non-file", async () => {
    await using topology = await LocalTopology.create([{ name: "replica-1", role: "replica" }]);
    const out = join(topology.dir, "taken.json");
    writeFileSync(out, "keep me");
    const refused = exportFingerprints(exportPorts(topology), { outFile: out, given: "taken.json", force: false });
    await expect(refused).rejects.toMatchObject({ code: "CLI_USAGE", message: "--out taken.json already exists" });
    expect(exitCodeFor(await refused.catch((error: unknown) => error))).toBe(2);
    expect(readFileSync(out, "utf8")).toBe("keep me");
    await exportFingerprints(exportPorts(topology), { outFile: out, given: out, force: true });
    expect(JSON.parse(readFileSync(out, "utf8"))).toMatchObject({ format: "connect-ops/fingerprints@1" });

    const dir = join(topology.dir, "a-dir");
    mkdirSync(dir);
    const link = join(topology.dir, "a-link");
    symlinkSync(out, link);
    for (const target of [dir, link])
      await expect(
        exportFingerprints(exportPorts(topology), { outFile: target, given: target, force: true }),
      ).rejects.toMatchObject({ code: "CLI_USAGE", message: `--out ${target} exists and is not a regular file` });
    await expect(
      exportFingerprints(exportPorts(topology), {
        outFile: join(topology.dir, "missing", "f.json"),
        given: "missing/f.json",
        force: false,
      }),
    ).rejects.toMatchObject({ code: "CLI_USAGE", message: "the directory of --out missing/f.json does not exist" });
  });
});

describe("auditCleanup off the appliance (--fingerprints FILE, a state dir of the auditor's own)", () => {
  it("finds a key planted in a snapshot, names the file as the fingerprint source, and calls the primary a gap", async () => {
    await using topology = await LocalTopology.create([{ name: "replica-1", role: "replica" }]);
    const out = join(topology.dir, "fingerprints.json");
    await exportFingerprints(exportPorts(topology), { outFile: out, given: out, force: false });
    const state = await loadStateDir(topology.stateDir);
    const { bundle } = await new CredentialVault(join(topology.stateDir, "vault")).open(state.identities);
    const data = join(topology.dir, "backup-data");
    mkdirSync(join(data, "20240102T000000"), { recursive: true });
    writeFileSync(join(data, "20240102T000000", "app.pem"), bundle.app.privateKeyPem);

    const auditor = join(topology.dir, "auditor-state");
    await initStateDir(auditor);
    const ports = await localAuditPorts(topology, {
      stateDir: auditor,
      vault: new CredentialVault(join(auditor, "vault")),
      journalDir: join(auditor, "journal"),
      signingKey: await readAuditSigningKey(auditor),
      nodes: [],
    });
    const audit = await auditCleanup(ports, { dataDirs: [data], format: "json", fingerprintsFile: out });
    expect(audit.report.verdict).toBe("residue");
    expect(audit.report.fingerprintSource).toBe(`file ${out}`);
    expect(audit.report.subject.appSlug).toBe(bundle.app.slug);
    expect(audit.report.findings.some((finding) => finding.path.endsWith("app.pem"))).toBe(true);
    expect(audit.report.gaps.find((gap) => gap.location === "primary")?.reason).toMatch(/^primary not audited: /);
  });
});
