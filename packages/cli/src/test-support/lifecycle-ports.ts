import { createCloudClient } from "@connect-ops/connection-core";
import { CredentialVault, loadStateDir } from "@connect-ops/credential-vault";
import { readInventoryFile, type SshOptions } from "@connect-ops/replication";
import { join } from "node:path";
import type { AuditPorts } from "../lifecycle/audit-cleanup.js";
import { readAuditSigningKey } from "../lifecycle/audit-signing-key.js";
import type { DisconnectPorts } from "../lifecycle/disconnect.js";
import { noCrash, type CloudClientFactory } from "../lifecycle/ports.js";
import type { LocalTopology } from "./local-topology.js";

// Local nodes only: no ssh node is ever dialled, so no known_hosts is read.
const NO_SSH: SshOptions = { knownHostsFile: "/nonexistent/known_hosts", acceptNewHostKeys: false, env: {} };

/** A cloud port talking to the topology's simulator, with its admin token (or without). */
export function simCloud(topology: LocalTopology, options: { adminToken?: boolean } = {}): CloudClientFactory {
  const adminToken = options.adminToken === false ? undefined : topology.env.CONNECT_OPS_CLOUD_TOKEN;
  return (baseUrl) =>
    Promise.resolve(createCloudClient({ baseUrl, ...(adminToken === undefined ? {} : { adminToken }) }));
}

async function commonPorts(topology: LocalTopology, inventory: string) {
  const state = await loadStateDir(topology.stateDir);
  return {
    state,
    vault: new CredentialVault(join(topology.stateDir, "vault")),
    stateDir: state.stateDir,
    journalDir: join(state.stateDir, "journal"),
    cloud: simCloud(topology),
    hasAdminToken: true,
    nodes: (await readInventoryFile(inventory)).nodes,
    ssh: NO_SSH,
    now: () => Date.now(),
  };
}

/** runDisconnect's ports for a LocalTopology: its state dir, its sim, its inventory's local nodes; no confirmation, no crash. */
export async function localDisconnectPorts(
  topology: LocalTopology,
  overrides: Partial<DisconnectPorts> = {},
  inventory = topology.inventory,
): Promise<DisconnectPorts> {
  const { state, ...common } = await commonPorts(topology, inventory);
  return { ...common, identities: state.identities, crash: noCrash, confirm: () => Promise.resolve(), ...overrides };
}

/** auditCleanup's ports for a LocalTopology. */
export async function localAuditPorts(
  topology: LocalTopology,
  overrides: Partial<AuditPorts> = {},
  inventory = topology.inventory,
): Promise<AuditPorts> {
  const { state: _state, ...common } = await commonPorts(topology, inventory);
  return {
    ...common,
    signingKey: await readAuditSigningKey(topology.stateDir),
    toolVersion: "0.0.0-test",
    ranBy: { user: "auditor", host: "test-host" },
    ...overrides,
  };
}
