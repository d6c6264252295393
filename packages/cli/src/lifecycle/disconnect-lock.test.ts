import { CredentialVault, loadStateDir, type HeldLock, type LockOptions } from "@connect-ops/credential-vault";
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
      const refused = await runDisconnect(ports, {
        inventory: topology.inventory,
        dataDirs: [],
        purgeBackups: false,
      }).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(refused).toMatchObject({ code: "VAULT_LOCKED" });
      expect(refused instanceof Error ? refused.message : "").toContain(`process ${process.pid} on `);
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

  it("reports a lock that could not be released (CLI_VAULT_UNLOCK_FAILED) instead of dropping it, and a re-run finishes", async () => {
    await using topology = await LocalTopology.create([{ name: "replica-1", role: "replica" }]);
    /** A vault whose lock release fails once the lock is gone, as an unlink hitting EIO would. */
    class ReleaseFailsVault extends CredentialVault {
      override async lock(options?: LockOptions): Promise<HeldLock> {
        const held = await super.lock(options);
        const release = async (): Promise<void> => {
          await held.release();
          throw Object.assign(new Error("unlink .lock: EIO"), { code: "EIO" });
        };
        return { release, [Symbol.asyncDispose]: release };
      }
    }
    const vault = new ReleaseFailsVault(join(topology.stateDir, "vault"));
    const request = { inventory: topology.inventory, dataDirs: [], purgeBackups: false };
    const failed = await runDisconnect(await localDisconnectPorts(topology, { vault }), request).catch(
      (error: unknown) => error,
    );
    expect(failed).toMatchObject({ code: "CLI_VAULT_UNLOCK_FAILED", category: "incomplete", cause: { code: "EIO" } });
    expect(topology.sim.counters().apps).toBe(0);

    const resumed = await runDisconnect(await localDisconnectPorts(topology), request);
    expect(resumed).toMatchObject({ completed: true, resumed: true, pendingNodes: [] });
  });
});
