import type { CloudClient } from "@connect-ops/connection-core";
import type { CredentialVault, StateDir } from "@connect-ops/credential-vault";
import { join } from "node:path";
import type { CommandContext } from "./context.js";
import { usageError } from "./errors.js";
import { checkDataDirs } from "./flows/data-dirs.js";
import { loadTopology } from "./flows/inventory.js";
import type { AuditPorts, AuditRequest } from "./lifecycle/audit-cleanup.js";
import type { DisconnectPorts, DisconnectRequest } from "./lifecycle/disconnect.js";
import type { DisconnectJournal } from "./lifecycle/disconnect-journal.js";
import type { CloudClientFactory, CrashHook } from "./lifecycle/ports.js";

/**
 * The composition root: the one place that turns a command's context (env,
 * clock, paths) into the production ports the lifecycles take. Commands call
 * it once per run; lifecycles never see a CommandContext.
 */

/** The primary's state: its identity, config and vault. */
export interface Appliance {
  readonly state: StateDir;
  readonly vault: CredentialVault;
  /** The appliance's own recipient first, then recovery recipients from config. */
  readonly recipients: readonly string[];
  readonly journalDir: string;
}

export async function openAppliance(context: CommandContext): Promise<Appliance> {
  const { CredentialVault, loadStateDir, STATE_FILES } = await import("@connect-ops/credential-vault");
  const state = await loadStateDir(context.globals.stateDir, context.globals.configPath);
  return {
    state,
    vault: new CredentialVault(join(state.stateDir, STATE_FILES.vault), { now: context.io.now }),
    recipients: [...new Set([state.recipient, ...state.config.recoveryRecipients])],
    journalDir: join(state.stateDir, STATE_FILES.journal),
  };
}

/** The cloud admin token (for connection records) comes from the environment, never from argv. */
export function cloudAdminToken(context: CommandContext): string | undefined {
  const token = context.io.env.CONNECT_OPS_CLOUD_TOKEN;
  return token === undefined || token.trim() === "" ? undefined : token.trim();
}

export async function cloudClient(context: CommandContext, baseUrl: string): Promise<CloudClient> {
  const { createCloudClient } = await import("@connect-ops/connection-core");
  const adminToken = cloudAdminToken(context);
  return createCloudClient({ baseUrl, ...(adminToken === undefined ? {} : { adminToken }), deps: { now: context.io.now } });
}

/** The production cloud port: a client per base URL, with the admin token from the environment. */
export function cloudFactory(context: CommandContext): CloudClientFactory {
  return (baseUrl) => cloudClient(context, baseUrl);
}

/** Test-only fault injection: `CONNECT_OPS_FAULT_CRASH_AT=<checkpoint>` kills the process there (SIGKILL), like a power cut. */
export function crashHook(context: CommandContext): CrashHook {
  const target = context.io.env.CONNECT_OPS_FAULT_CRASH_AT;
  return (point) => {
    if (target !== undefined && target === point) process.kill(process.pid, "SIGKILL");
  };
}

export function requireConnected<T>(value: T | undefined, stateDir: string): T {
  if (value === undefined) {
    throw usageError(`no GitHub Connect credentials are sealed in ${stateDir}`, "run `connect-ops connect` first (or `connect-ops backup restore`)");
  }
  return value;
}

/** The disconnect's production ports: the state dir's vault, the inventory's nodes, the cloud named by the vault. */
export async function disconnectPorts(
  context: CommandContext,
  flags: { inventory: string; dataDirs: readonly string[]; purgeBackups: boolean },
  confirm: (journal: DisconnectJournal) => Promise<void>,
): Promise<{ ports: DisconnectPorts; request: DisconnectRequest }> {
  const appliance = await openAppliance(context);
  const topology = await loadTopology(context, { inventory: flags.inventory });
  const dataDirs = await checkDataDirs(flags.dataDirs.map(context.resolvePath));
  return {
    ports: {
      vault: appliance.vault,
      stateDir: appliance.state.stateDir,
      identities: appliance.state.identities,
      journalDir: appliance.journalDir,
      cloud: cloudFactory(context),
      hasAdminToken: cloudAdminToken(context) !== undefined,
      nodes: topology.all,
      ssh: topology.ssh,
      now: context.io.now,
      crash: crashHook(context),
      confirm,
    },
    request: { inventory: context.resolvePath(flags.inventory), dataDirs, purgeBackups: flags.purgeBackups },
  };
}

/** verify-cleanup's production ports: the same state, nodes and cloud, read-only. */
export async function auditPorts(
  context: CommandContext,
  flags: { inventory: string; dataDirs: readonly string[]; reportFile?: string; format: "json" | "md" },
): Promise<{ ports: AuditPorts; request: AuditRequest }> {
  const appliance = await openAppliance(context);
  const { readAuditSigningKey } = await import("./lifecycle/audit-signing-key.js");
  const signingKey = await readAuditSigningKey(appliance.state.stateDir);
  const topology = await loadTopology(context, { inventory: flags.inventory });
  const dataDirs = await checkDataDirs(flags.dataDirs.map(context.resolvePath));
  const { toolVersion } = await import("./tool-version.js");
  return {
    ports: {
      vault: appliance.vault,
      stateDir: appliance.state.stateDir,
      journalDir: appliance.journalDir,
      signingKey,
      cloud: cloudFactory(context),
      hasAdminToken: cloudAdminToken(context) !== undefined,
      nodes: topology.all,
      ssh: topology.ssh,
      now: context.io.now,
      toolVersion: await toolVersion(),
    },
    request: { dataDirs, format: flags.format, ...(flags.reportFile === undefined ? {} : { reportFile: context.resolvePath(flags.reportFile) }) },
  };
}
