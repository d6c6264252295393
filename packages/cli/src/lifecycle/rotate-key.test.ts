import { CredentialVault, loadStateDir } from "@connect-ops/credential-vault";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadResidueFingerprints } from "../flows/fingerprints.js";
import { simCloud } from "../test-support/lifecycle-ports.js";
import { LocalTopology } from "../test-support/local-topology.js";
import { noCrash, type CrashHook, type OpenedAppliance } from "./ports.js";
import { finishKeyRotation } from "./rotate-key-finish.js";
import type { RotateKeyPorts } from "./rotate-key-journal.js";
import { rotateAppKey } from "./rotate-key.js";

async function ports(topology: LocalTopology, crash: CrashHook = noCrash): Promise<RotateKeyPorts> {
  const state = await loadStateDir(topology.stateDir);
  const vault = new CredentialVault(join(topology.stateDir, "vault"));
  const meta = await vault.readMeta();
  const appliance: OpenedAppliance = {
    stateDir: topology.stateDir,
    vault,
    identities: state.identities,
    recipients: meta?.recipients ?? [state.recipient],
    journalDir: join(topology.stateDir, "journal"),
  };
  return { openAppliance: () => Promise.resolve(appliance), cloud: simCloud(topology), now: () => Date.now(), crash };
}

const metaOf = async (topology: LocalTopology) =>
  (await new CredentialVault(join(topology.stateDir, "vault")).readMeta()) ?? expect.fail("no vault");

describe("rotateAppKey / finishKeyRotation", () => {
  it("a run stopped after the seal resumes with the same key; --finish drops the old key only once the cloud refuses it", async () => {
    await using topology = await LocalTopology.create([]);
    const before = await metaOf(topology);
    const appId = before.appId ?? expect.fail("no app id");
    const [original] = topology.sim.listAppKeys(appId) ?? [];
    const key = (await topology.sim.addAppKey(appId)) ?? expect.fail("no app");
    const file = join(topology.dir, "new.pem");
    writeFileSync(file, key.pem, { mode: 0o600 });
    const request = { newKeyFile: file, newKeyPath: file };
    const stop: CrashHook = (point) => {
      if (point === "rotate-key:sealed") throw new Error("stopped at rotate-key:sealed");
    };
    await expect(rotateAppKey(await ports(topology, stop), request)).rejects.toThrow(/stopped/);
    const sealed = await metaOf(topology);
    expect(sealed).toMatchObject({ keyFingerprint: key.fingerprint, retiringKeyFingerprints: [before.keyFingerprint] });
    expect(sealed.residue?.tokenHashes).toEqual([]); // no token of the new key yet

    const mintsBefore = topology.sim.counters().tokenMints;
    const resumed = await rotateAppKey(await ports(topology), request);
    expect(resumed).toMatchObject({ resumed: true, activeFingerprint: key.fingerprint, pendingNodes: [] });
    expect(resumed.pendingStep.fingerprint).toBe(before.keyFingerprint);
    expect(topology.sim.counters().tokenMints - mintsBefore).toBe(1);
    const again = await rotateAppKey(await ports(topology), request);
    expect(topology.sim.counters().tokenMints - mintsBefore).toBe(1); // minted once: the step is not repeated
    expect(again.generation).toBe(resumed.generation);

    const early = await finishKeyRotation(await ports(topology));
    expect(early).toMatchObject({
      completed: false,
      removed: [],
      stillAccepted: [{ fingerprint: before.keyFingerprint }],
    });
    expect((await metaOf(topology)).retiringKeyFingerprints).toEqual([before.keyFingerprint]);

    expect(topology.sim.deleteAppKey(appId, original?.keyId ?? -1)).toBe(true);
    const finished = await finishKeyRotation(await ports(topology));
    expect(finished).toMatchObject({ completed: true, removed: [before.keyFingerprint] });
    const after = await metaOf(topology);
    expect(after.retiringKeyFingerprints).toBeUndefined();
    const sets = await loadResidueFingerprints({ stateDir: topology.stateDir });
    expect(sets.map((set) => set.keyFingerprint)).toEqual([key.fingerprint, before.keyFingerprint]);
  }, 60_000);
});
