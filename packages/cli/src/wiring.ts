import type { CloudClient } from "@connect-ops/connection-core";
import type { CredentialVault, StateDir } from "@connect-ops/credential-vault";
import { join } from "node:path";
import type { CommandContext } from "./context.js";
import { loadTopology, type TopologyFlags } from "./flows/inventory.js";
import type { RecipientFlags } from "./flows/backup-recipients.js";
import type { IncludePorts } from "./lifecycle/backup-include.js";
import type { RedactPorts } from "./lifecycle/backup-redact.js";
import type { ScanPorts } from "./lifecycle/backup-scan.js";
import type { ApplianceConnectPorts } from "./lifecycle/connect.js";
import type { ReplicatePorts } from "./lifecycle/replicate.js";
import type { RestorePorts } from "./lifecycle/restore.js";
import type { StatusPorts } from "./lifecycle/status.js";
import type { TokenPorts } from "./lifecycle/token.js";
import { noCrash, type CloudClientFactory, type CrashHook, type OpenedAppliance } from "./lifecycle/ports.js";

/**
 * The composition root: the one place that turns a command's context (env,
 * clock, paths) into the production ports the lifecycles take. Commands call
 * it once per run; lifecycles never see a CommandContext.
 */

/** The primary's state: its identity, config and vault. */
export interface Appliance {
  readonly state: StateDir;
  readonly vault: CredentialVault;
  /** The appliance's own recipient first, then recovery recipients from config, then each enrolled node's: what every seal is to. */
  readonly recipients: readonly string[];
  readonly journalDir: string;
}

export async function openAppliance(context: CommandContext): Promise<Appliance> {
  const { CredentialVault, loadStateDir, STATE_FILES } = await import("@connect-ops/credential-vault");
  const state = await loadStateDir(context.globals.stateDir, context.globals.configPath);
  return {
    state,
    vault: new CredentialVault(join(state.stateDir, STATE_FILES.vault), { now: context.io.now }),
    recipients: sealRecipients(state),
    journalDir: join(state.stateDir, STATE_FILES.journal),
  };
}

/** What every seal of this state dir is to: its own recipient, the recovery recipients, each enrolled node's. */
export function sealRecipients(state: Pick<StateDir, "recipient" | "config" | "enrolledNodes">): string[] {
  return [
    ...new Set([
      state.recipient,
      ...state.config.recoveryRecipients,
      ...state.enrolledNodes.map((node) => node.recipient),
    ]),
  ];
}

/** The cloud admin token (for connection records) comes from the environment, never from argv. */
export function cloudAdminToken(context: CommandContext): string | undefined {
  const token = context.io.env.CONNECT_OPS_CLOUD_TOKEN;
  return token === undefined || token.trim() === "" ? undefined : token.trim();
}

export async function cloudClient(context: CommandContext, baseUrl: string): Promise<CloudClient> {
  const { createCloudClient } = await import("@connect-ops/connection-core");
  const adminToken = cloudAdminToken(context);
  return createCloudClient({
    baseUrl,
    ...(adminToken === undefined ? {} : { adminToken }),
    deps: { now: context.io.now },
  });
}

/** The production cloud port: a client per base URL, with the admin token from the environment. */
export function cloudFactory(context: CommandContext): CloudClientFactory {
  return (baseUrl) => cloudClient(context, baseUrl);
}

/**
 * Replaced at build time (packages/cli/rolldown.config.mjs): `false` in the production
 * bundle, `true` in the test bundle; undefined when run from source (vitest).
 */
declare const __CONNECT_OPS_TEST_HOOKS__: boolean | undefined;

/**
 * The crash port. Production: a no-op, and the env-driven hook (src/fault-crash.ts) is
 * compiled out of the bundle. The test bundle loads it, for the crash suites.
 */
export async function crashHook(context: CommandContext): Promise<CrashHook> {
  if (typeof __CONNECT_OPS_TEST_HOOKS__ === "undefined" || !__CONNECT_OPS_TEST_HOOKS__) return noCrash;
  const { envCrashHook } = await import("./fault-crash.js");
  return envCrashHook(context.io.env);
}

/**
 * backup restore's production ports: this state dir's vault and recipients, the OS hostname, and
 * (with topology flags) the nodes whose generations the restored vault must be above.
 */
export async function restorePorts(context: CommandContext, topologyFlags?: TopologyFlags): Promise<RestorePorts> {
  const topology = topologyFlags === undefined ? undefined : await loadTopology(context, topologyFlags);
  const appliance = await openAppliance(context);
  const { hostname } = await import("node:os");
  const logger = topology === undefined ? undefined : await context.logger();
  return {
    vault: appliance.vault,
    stateDir: appliance.state.stateDir,
    recipients: appliance.recipients,
    ...(topology === undefined || logger === undefined
      ? {}
      : {
          nodeGenerations: async () => {
            const { probeNodes } = await import("@connect-ops/replication");
            return await probeNodes(topology.nodes, { ssh: topology.ssh, logger });
          },
        }),
    cloud: cloudFactory(context),
    crash: await crashHook(context),
    hostname,
  };
}

/** The appliance as the lifecycles that commit take it. */
export async function openedAppliance(context: CommandContext): Promise<OpenedAppliance> {
  const appliance = await openAppliance(context);
  return {
    stateDir: appliance.state.stateDir,
    vault: appliance.vault,
    identities: appliance.state.identities,
    recipients: appliance.recipients,
    journalDir: appliance.journalDir,
  };
}

/** token's production ports; nothing is loaded or opened until a token must be minted. */
export async function tokenPorts(context: CommandContext): Promise<TokenPorts> {
  return {
    stateDir: context.globals.stateDir,
    openAppliance: () => openedAppliance(context),
    cloud: cloudFactory(context),
    crash: await crashHook(context),
    now: context.io.now,
  };
}

/** status's production ports. Bad topology flags or files fail here, before the cloud or any node is contacted. */
export async function statusPorts(
  context: CommandContext,
  topologyFlags: TopologyFlags | undefined,
): Promise<StatusPorts> {
  const topology = topologyFlags === undefined ? undefined : await loadTopology(context, topologyFlags);
  return {
    stateDir: context.globals.stateDir,
    cloud: cloudFactory(context),
    hasAdminToken: cloudAdminToken(context) !== undefined,
    identities: async () => (await openAppliance(context)).state.identities,
    ...(topology === undefined ? {} : { topology: { nodes: topology, logger: () => context.logger() } }),
  };
}

/** replicate's production ports. Flags are validated (the topology loaded) before the vault or any node is touched. */
export async function replicatePorts(
  context: CommandContext,
  flags: TopologyFlags,
  progress: Pick<ReplicatePorts, "onStart" | "onNodeResult">,
): Promise<ReplicatePorts> {
  const topology = await loadTopology(context, flags);
  return {
    stateDir: context.globals.stateDir,
    topology,
    logger: await context.logger(),
    now: context.io.now,
    sealToEnrolled: async () => {
      const { readEnrolledNodes, resealToRecipients } = await import("@connect-ops/credential-vault");
      if ((await readEnrolledNodes(context.globals.stateDir)).length === 0) return;
      const appliance = await openAppliance(context);
      const meta = await appliance.vault.readMeta();
      if (meta === undefined || appliance.recipients.every((recipient) => meta.recipients.includes(recipient))) return;
      await resealToRecipients(appliance.vault, appliance.state.identities, appliance.recipients);
    },
    ...progress,
  };
}

/** backup include's production ports: the vault, then the backup recipients from the flags or the config (checked before any snapshot is). */
export async function includePorts(context: CommandContext, flags: RecipientFlags): Promise<IncludePorts> {
  const appliance = await openAppliance(context);
  const { resolveBackupRecipients } = await import("./flows/backup-recipients.js");
  const backupRecipients = await resolveBackupRecipients(context, flags, {
    recipient: appliance.state.recipient,
    configured: appliance.state.config.backupRecipients,
  });
  return {
    appliance: {
      stateDir: appliance.state.stateDir,
      vault: appliance.vault,
      identities: appliance.state.identities,
      recipients: appliance.recipients,
      journalDir: appliance.journalDir,
    },
    // Enrolled nodes can open the snapshot's copy too: a surviving replica restores without the lost primary's key.
    backupRecipients: [
      ...new Set([...backupRecipients, ...appliance.state.enrolledNodes.map((node) => node.recipient)]),
    ],
    enrolledNodes: appliance.state.enrolledNodes,
    now: context.io.now,
  };
}

/** The fingerprints of this state dir plus `--fingerprints FILE`, loaded when the lifecycle asks. */
function fingerprintLoader(
  context: CommandContext,
  fingerprintsFile: string | undefined,
): RedactPorts["loadFingerprints"] {
  return async () => {
    const { loadResidueFingerprints } = await import("./flows/fingerprints.js");
    return loadResidueFingerprints({ stateDir: context.globals.stateDir, fingerprintsFile, cwd: context.io.cwd });
  };
}

/** backup redact's (and the redact hook's) production ports. */
export function redactPorts(context: CommandContext, fingerprintsFile: string | undefined): RedactPorts {
  return { loadFingerprints: fingerprintLoader(context, fingerprintsFile), now: context.io.now };
}

/** backup scan's production ports: the progress line on a terminal's stderr. */
export async function scanPorts(context: CommandContext, fingerprintsFile: string | undefined): Promise<ScanPorts> {
  const { scanProgressLine } = await import("./flows/backup-progress.js");
  return { loadFingerprints: fingerprintLoader(context, fingerprintsFile), progress: scanProgressLine(context) };
}

/** connect's production ports: the state dir opened lazily (after the flags and the license checked out). */
export async function connectPorts(context: CommandContext): Promise<ApplianceConnectPorts> {
  return {
    openAppliance: () => openedAppliance(context),
    cloud: cloudFactory(context),
    hasAdminToken: cloudAdminToken(context) !== undefined,
    now: context.io.now,
    crash: await crashHook(context),
  };
}
