import { CredentialVault, loadStateDir } from "@connect-ops/credential-vault";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import type { CommandContext } from "../context.js";
import { LocalTopology } from "../test-support/local-topology.js";
import { disconnectAppliance } from "./disconnect.js";

function contextFor(topology: LocalTopology): CommandContext {
  return {
    io: {
      stdout: { write: () => true },
      stderr: { write: () => true },
      env: topology.env,
      isTTY: false,
      stdinIsTTY: false,
      cwd: topology.dir,
      now: () => Date.now(),
      confirm: async () => false,
    },
    globals: { stateDir: topology.stateDir, configPath: undefined, json: true, logLevel: "silent", progress: false, color: false },
    logger: () => Promise.reject(new Error("disconnect does not log in this test")),
    resolvePath: (path) => resolve(topology.dir, path),
  };
}

describe("disconnectAppliance and the vault lock", () => {
  it("stops with VAULT_LOCKED naming the holder, deleting nothing, while another process holds the vault", async () => {
    await using topology = await LocalTopology.create([{ name: "replica-1", role: "replica" }]);
    const vault = new CredentialVault(join(topology.stateDir, "vault"));
    const held = await vault.lock();
    try {
      const request = { inventory: topology.inventory, dataDirs: [], purgeBackups: false, yes: true };
      // timeoutMs 0: the holder is this live process, so the lock fails at once (no waiting in the test).
      await expect(disconnectAppliance(contextFor(topology), request, { lockOptions: { timeoutMs: 0 } })).rejects.toMatchObject({
        code: "VAULT_LOCKED",
        message: expect.stringContaining(`process ${process.pid} on `),
      });
    } finally {
      await held.release();
    }
    const state = await loadStateDir(topology.stateDir);
    const { bundle } = await vault.open(state.identities);
    expect(bundle.app.appId).toBeGreaterThan(0);
    const stats = topology.sim.counters();
    expect(stats.apps).toBe(1);
    expect(stats.installations).toBe(1);
  });
});
