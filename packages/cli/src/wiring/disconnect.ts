import type { CommandContext } from "../context.js";
import { checkDataDirs } from "../flows/data-dirs.js";
import type { AuditPorts, AuditRequest } from "../lifecycle/audit-cleanup.js";
import type { DisconnectJournal } from "../lifecycle/disconnect-journal.js";
import type { DisconnectPorts, DisconnectRequest } from "../lifecycle/disconnect.js";
import { cloudAdminToken, cloudFactory, crashHook, openAppliance } from "./appliance.js";
import { loadTopology } from "./topology.js";

// Composition root (see appliance.ts): disconnect and the audit that follows it (verify-cleanup).

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
      crash: await crashHook(context),
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
  const { readAuditSigningKey } = await import("../lifecycle/audit-signing-key.js");
  const signingKey = await readAuditSigningKey(appliance.state.stateDir);
  const topology = await loadTopology(context, { inventory: flags.inventory });
  const dataDirs = await checkDataDirs(flags.dataDirs.map(context.resolvePath));
  const { toolVersion } = await import("../tool-version.js");
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
    request: {
      dataDirs,
      format: flags.format,
      ...(flags.reportFile === undefined ? {} : { reportFile: context.resolvePath(flags.reportFile) }),
    },
  };
}
