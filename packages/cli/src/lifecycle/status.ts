import { CredentialVault, STATE_FILES, ensureSafeDirectory, type VaultMeta } from "@connect-ops/credential-vault";
import { join } from "node:path";
import type { ReplicationLogger } from "@connect-ops/replication";
import type { Topology } from "../flows/inventory.js";
import type { NodeStatus } from "./node-status.js";
import type { CloudClientFactory } from "./ports.js";

/** What `status` reads: meta.json, the cloud's record, and (with a topology) the nodes. */
export interface StatusPorts {
  readonly stateDir: string;
  readonly cloud: CloudClientFactory;
  /** Whether the cloud client carries an admin token; without one the record is read as the app. */
  readonly hasAdminToken: boolean;
  /** The identities that open the vault (to read the record as the app); called only then. */
  readonly identities: () => Promise<readonly string[]>;
  /** The nodes to probe too (`--inventory`/`--cluster-conf`), loaded and checked already. */
  readonly topology?: { readonly nodes: Topology; readonly logger: () => Promise<ReplicationLogger> };
}

export interface DriftItem {
  readonly field: "hostname" | "ghesVersion" | "licenseHash" | "record";
  readonly local: string;
  readonly cloud: string;
}

export interface StatusReport {
  readonly connected: boolean;
  readonly record: VaultMeta["record"] | null;
  readonly vault: {
    readonly path: string;
    readonly generation: number | null;
    /** The active App key's fingerprint (the one that mints). */
    readonly keyFingerprint: string | null;
    /** Keys `rotate-key` is retiring: still sealed until `rotate-key --finish` proves the cloud refuses them. */
    readonly retiringKeyFingerprints: readonly string[];
  };
  readonly token: { readonly expiresAt: string | null };
  readonly cloud: { readonly checked: boolean; readonly url: string | null; readonly drift: readonly DriftItem[] };
  /** Each node of `--inventory`/`--cluster-conf` against this vault; absent without one. */
  readonly nodes?: readonly NodeStatus[];
}

export interface StatusRequest {
  readonly offline: boolean;
}

/**
 * Local state from `meta.json` (no decryption); unless `offline`, compares the
 * local record with the cloud's (hostname, version, license hash): a
 * difference is the mark of a restored or failed-over appliance still
 * registered under the old identity.
 */
export async function readStatus(ports: StatusPorts, options: StatusRequest): Promise<StatusReport> {
  const { topology } = ports;
  // Static, named imports: this module is loaded lazily, and an offline status must not load zod or age.
  await ensureSafeDirectory(ports.stateDir);
  const vault = new CredentialVault(join(ports.stateDir, STATE_FILES.vault));
  const meta = await vault.readMeta();
  const withNodes = async (report: StatusReport): Promise<StatusReport> => {
    if (topology === undefined) return report;
    const { probeNodeStatus } = await import("./node-status.js");
    return {
      ...report,
      nodes: await probeNodeStatus(topology.nodes, meta === undefined ? undefined : vault.dir, await topology.logger()),
    };
  };
  const report: StatusReport = {
    connected: meta?.appId !== undefined && meta.tokenExpiresAt !== undefined,
    record: meta?.record ?? null,
    vault: {
      path: vault.dir,
      generation: meta?.generation ?? null,
      keyFingerprint: meta?.keyFingerprint ?? null,
      retiringKeyFingerprints: meta?.retiringKeyFingerprints ?? [],
    },
    token: { expiresAt: meta?.tokenExpiresAt ?? null },
    cloud: { checked: false, url: meta?.cloudUrl ?? null, drift: [] },
  };
  if (options.offline || meta?.recordId === undefined || meta.cloudUrl === undefined || meta.record === undefined)
    return withNodes(report);
  const client = await ports.cloud(meta.cloudUrl);
  let appAuth;
  if (!ports.hasAdminToken) {
    const { bundle } = await vault.open(await ports.identities());
    appAuth = { appId: bundle.app.appId, privateKeyPem: bundle.app.privateKeyPem, slug: bundle.app.slug };
  }
  const onCloud = await client.getConnectionRecord(meta.recordId, appAuth);
  const drift: DriftItem[] = [];
  if (onCloud === undefined) drift.push({ field: "record", local: `record ${meta.recordId}`, cloud: "absent" });
  else {
    for (const field of ["hostname", "ghesVersion", "licenseHash"] as const) {
      if (onCloud[field] !== meta.record[field])
        drift.push({ field, local: meta.record[field], cloud: onCloud[field] });
    }
  }
  return withNodes({ ...report, cloud: { checked: true, url: meta.cloudUrl, drift } });
}
