import { homedir } from "node:os";
import { join } from "node:path";
import type { CommandContext } from "../context.js";
import { checkDataDirs } from "../flows/data-dirs.js";
import type { Topology } from "../flows/inventory.js";
import { loadTopology } from "./topology.js";
import type { AuditPorts, AuditRequest } from "../lifecycle/audit-cleanup.js";
import type { DisconnectPorts, DisconnectRequest } from "../lifecycle/disconnect.js";
import type { DisconnectJournal } from "../lifecycle/disconnect-journal.js";
import type { FingerprintExportPorts } from "../lifecycle/fingerprints-export.js";
import { cloudAdminToken, cloudFactory, crashHook, openAppliance } from "./appliance.js";

// The composition root's part for the end of a connection: disconnect, verify-cleanup and
// fingerprints export (split from wiring.ts to keep each file small; same rules).

/** The nodes of `--inventory FILE`, or none (a standalone appliance: no replica, no cluster). */
async function optionalNodes(
  context: CommandContext,
  inventory: string | undefined,
): Promise<{ nodes: Topology["all"]; ssh: Topology["ssh"]; source?: string }> {
  if (inventory !== undefined) {
    const topology = await loadTopology(context, { inventory });
    return { nodes: topology.all, ssh: topology.ssh, source: topology.source };
  }
  // Recorded ssh nodes the audit derives from the journal are reached with the operator's defaults.
  const home = context.io.env.HOME ?? homedir();
  return {
    nodes: [],
    ssh: { knownHostsFile: join(home, ".ssh", "known_hosts"), acceptNewHostKeys: false, env: context.io.env },
  };
}

/** The disconnect's production ports: the state dir's vault, the inventory's nodes (none: standalone), the cloud named by the vault. */
export async function disconnectPorts(
  context: CommandContext,
  flags: { inventory?: string | undefined; dataDirs: readonly string[]; purgeBackups: boolean },
  confirm: (journal: DisconnectJournal) => Promise<void>,
): Promise<{ ports: DisconnectPorts; request: DisconnectRequest }> {
  const appliance = await openAppliance(context);
  const topology = await optionalNodes(context, flags.inventory);
  const dataDirs = await checkDataDirs(flags.dataDirs.map(context.resolvePath));
  return {
    ports: {
      vault: appliance.vault,
      stateDir: appliance.state.stateDir,
      identities: appliance.state.identities,
      journalDir: appliance.journalDir,
      cloud: cloudFactory(context),
      hasAdminToken: cloudAdminToken(context) !== undefined,
      nodes: topology.nodes,
      ssh: topology.ssh,
      now: context.io.now,
      crash: await crashHook(context),
      confirm,
    },
    request: {
      ...(flags.inventory === undefined ? {} : { inventory: context.resolvePath(flags.inventory) }),
      dataDirs,
      purgeBackups: flags.purgeBackups,
    },
  };
}

/** verify-cleanup's production ports: the same state, nodes and cloud, read-only. */
export async function auditPorts(
  context: CommandContext,
  flags: {
    inventory?: string | undefined;
    dataDirs: readonly string[];
    reportFile?: string;
    format: "json" | "md";
    htmlFile?: string;
    fingerprintsFile?: string | undefined;
  },
): Promise<{ ports: AuditPorts; request: AuditRequest }> {
  const appliance = await openAppliance(context);
  const { readAuditSigningKey } = await import("../lifecycle/audit-signing-key.js");
  const signingKey = await readAuditSigningKey(appliance.state.stateDir);
  const topology = await optionalNodes(context, flags.inventory);
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
      nodes: topology.nodes,
      ...(topology.source === undefined ? {} : { nodeSource: topology.source }),
      ssh: topology.ssh,
      now: context.io.now,
      toolVersion: await toolVersion(),
      ranBy: await ranBy(context),
    },
    request: {
      dataDirs,
      format: flags.format,
      ...(flags.reportFile === undefined ? {} : { reportFile: context.resolvePath(flags.reportFile) }),
      ...(flags.htmlFile === undefined ? {} : { htmlFile: context.resolvePath(flags.htmlFile) }),
      ...(flags.fingerprintsFile === undefined
        ? {}
        : { fingerprintsFile: flags.fingerprintsFile, cwd: context.io.cwd }),
    },
  };
}

/** fingerprints export's production ports: the state dir's vault meta and disconnect journal. */
export async function fingerprintExportPorts(context: CommandContext): Promise<FingerprintExportPorts> {
  const appliance = await openAppliance(context);
  return {
    stateDir: appliance.state.stateDir,
    vault: appliance.vault,
    journalDir: appliance.journalDir,
    now: context.io.now,
  };
}

/** Who runs the audit, for the report: the login name (USER/LOGNAME, else the OS account) and this host. */
async function ranBy(context: CommandContext): Promise<{ user: string; host: string }> {
  const { hostname, userInfo } = await import("node:os");
  const fromEnv = context.io.env.USER ?? context.io.env.LOGNAME;
  let user = fromEnv;
  if (user === undefined || user === "") {
    try {
      user = userInfo().username;
    } catch {
      user = `uid ${String(process.getuid?.() ?? "unknown")}`; // no passwd entry (a container): the uid is what there is
    }
  }
  return { user, host: hostname() };
}
