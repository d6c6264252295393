import { CredentialVault, STATE_FILES, ensureSafeDirectory, type VaultMeta } from "@connect-ops/credential-vault";
import { join } from "node:path";
import type { CommandContext } from "../context.js";
import { cloudAdminToken, cloudClient, openAppliance } from "../wiring.js";
import type { TopologyFlags } from "./inventory.js";
import type { NodeStatus } from "./node-status.js";

export interface DriftItem {
  readonly field: "hostname" | "ghesVersion" | "licenseHash" | "record";
  readonly local: string;
  readonly cloud: string;
}

export interface StatusReport {
  readonly connected: boolean;
  readonly record: VaultMeta["record"] | null;
  readonly vault: { readonly path: string; readonly generation: number | null; readonly keyFingerprint: string | null };
  readonly token: { readonly expiresAt: string | null };
  readonly cloud: { readonly checked: boolean; readonly url: string | null; readonly drift: readonly DriftItem[] };
  /** Each node of `--inventory`/`--cluster-conf` against this vault; absent without one. */
  readonly nodes?: readonly NodeStatus[];
}

export interface StatusRequest {
  readonly offline: boolean;
  /** With `inventory` or `clusterConf`: probe the nodes too. */
  readonly topology?: TopologyFlags;
}

/**
 * Local state from `meta.json` (no decryption); unless `offline`, compares the
 * local record with the cloud's (hostname, version, license hash): a
 * difference is the mark of a restored or failed-over appliance still
 * registered under the old identity.
 */
export async function readStatus(context: CommandContext, options: StatusRequest): Promise<StatusReport> {
  // Bad topology flags or files fail before the cloud or any node is contacted.
  const topology = options.topology === undefined ? undefined : await (await import("./inventory.js")).loadTopology(context, options.topology);
  // Static, named imports: this module is loaded lazily, and an offline status must not load zod or age.
  await ensureSafeDirectory(context.globals.stateDir);
  const vault = new CredentialVault(join(context.globals.stateDir, STATE_FILES.vault));
  const meta = await vault.readMeta();
  const withNodes = async (report: StatusReport): Promise<StatusReport> => {
    if (topology === undefined) return report;
    const { probeNodeStatus } = await import("./node-status.js");
    return { ...report, nodes: await probeNodeStatus(context, topology, meta === undefined ? undefined : vault.dir) };
  };
  const report: StatusReport = {
    connected: meta?.appId !== undefined && meta.tokenExpiresAt !== undefined,
    record: meta?.record ?? null,
    vault: { path: vault.dir, generation: meta?.generation ?? null, keyFingerprint: meta?.keyFingerprint ?? null },
    token: { expiresAt: meta?.tokenExpiresAt ?? null },
    cloud: { checked: false, url: meta?.cloudUrl ?? null, drift: [] },
  };
  if (options.offline || meta?.recordId === undefined || meta.cloudUrl === undefined || meta.record === undefined) return withNodes(report);
  const client = await cloudClient(context, meta.cloudUrl);
  let appAuth;
  if (cloudAdminToken(context) === undefined) {
    const appliance = await openAppliance(context);
    const { bundle } = await appliance.vault.open(appliance.state.identities);
    appAuth = { appId: bundle.app.appId, privateKeyPem: bundle.app.privateKeyPem, slug: bundle.app.slug };
  }
  const onCloud = await client.getConnectionRecord(meta.recordId, appAuth);
  const drift: DriftItem[] = [];
  if (onCloud === undefined) drift.push({ field: "record", local: `record ${meta.recordId}`, cloud: "absent" });
  else {
    for (const field of ["hostname", "ghesVersion", "licenseHash"] as const) {
      if (onCloud[field] !== meta.record[field]) drift.push({ field, local: meta.record[field], cloud: onCloud[field] });
    }
  }
  return withNodes({ ...report, cloud: { checked: true, url: meta.cloudUrl, drift } });
}
