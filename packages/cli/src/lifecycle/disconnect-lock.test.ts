import { CredentialVault, loadStateDir } from "@connect-ops/credential-vault";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { localDisconnectPorts } from "../test-support/lifecycle-ports.js";
import { LocalTopology } from "../test-support/local-topology.js";
import { runDisconnect } from "./disconnect.js";

describe("runDisconnect and the vault lock", () => {
  it("stops with VAULT_LOCKED naming the holder, deleting nothing, while another process holds the vault", async () => {
    await using topology = await LocalTopology.create([{ name: "replica-1", role: "replica" }]);
    const vault = new CredentialVault(join(topology.stateDir, "vault"));
    const held = await vault.lock();
    try {
      // timeoutMs 0: the holder is this live process, so the lock fails at once (no waiting in the test).
      const ports = await localDisconnectPorts(topology, { lockOptions: { timeoutMs: 0 } });
      await expect(runDisconnect(ports, { inventory: topology.inventory, dataDirs: [], purgeBackups: false })).rejects.toMatchObject({
        code: "VAULT_LOCKED",
        message: expect.stringContaining(`process ${process.pid} on `),
      });
    } finally {
      await held.release();
    }
    const state = await loadStateDir(topology.stateDir);
    const { bundle } = await vault.open(state.identities);
    expect(bundle.app.appId).toBeGreaterThan(0);
    const counters = topology.sim.counters();
    expect(counters.apps).toBe(1);
    expect(counters.installations).toBe(1);
  });
});
