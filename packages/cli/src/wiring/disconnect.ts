import { homedir } from "node:os";
import { join } from "node:path";
import type { CommandContext } from "../context.js";
import { checkDataDirs } from "../flows/data-dirs.js";
import type { Topology, TopologyFlags } from "../flows/inventory.js";
import { connectTimeoutMs, loadTopology } from "./topology.js";
import type { AuditPorts, AuditRequest } from "../lifecycle/audit-cleanup.js";
import type { DisconnectPorts, DisconnectRequest } from "../lifecycle/disconnect.js";
import type { DisconnectJournal } from "../lifecycle/disconnect-journal.js";
import type { FingerprintExportPorts } from "../lifecycle/fingerprints-export.js";
import { cloudAdminToken, cloudFactory, crashHook, openAppliance } from "./appliance.js";

// The composition root's part for the end of a connection: disconnect, verify-cleanup and
// fingerprints export (split from wiring.ts to keep each file small; same rules).

/**
 * The nodes of `--inventory FILE` or `--cluster-conf FILE`, or none (a standalone appliance: no replica,
 * no cluster). Recorded ssh nodes the audit derives from the journal are reached with `--identity-file`
 * and `--known-hosts` when given, else the operator's defaults.
 */
async function optionalNodes(
  context: CommandContext,
  flags: TopologyFlags,
): Promise<{ nodes: Topology["all"]; ssh: Topology["ssh"]; source?: string }> {
  if (flags.inventory !== undefined || flags.clusterConf !== undefined) {
    const topology = await loadTopology(context, flags);
    return { nodes: topology.all, ssh: topology.ssh, source: topology.source };
  }
  const timeout = await connectTimeoutMs(flags.connectTimeout);
  const knownHostsFile =
    flags.knownHostsFile === undefined
      ? join(context.io.env.HOME ?? homedir(), ".ssh", "known_hosts")
      : context.resolvePath(flags.knownHostsFile);
  return {
    nodes: [],
    ssh: {
      knownHostsFile,
      ...(flags.identityFile === undefined ? {} : { identityFile: context.resolvePath(flags.identityFile) }),
      acceptNewHostKeys: flags.acceptNewHostKeys === true,
      ...(timeout === undefined ? {} : { connectTimeoutMs: timeout }),
      env: context.io.env,
    },
  };
}

/** The disconnect's production ports: the state dir's vault, the inventory's nodes (none: standalone), the cloud named by the vault. */
export async function disconnectPorts(
  context: CommandContext,
  flags: { topology: TopologyFlags; dataDirs: readonly string[]; purgeBackups: boolean },
  confirm: (journal: DisconnectJournal) => Promise<void>,
): Promise<{ ports: DisconnectPorts; request: DisconnectRequest }> {
  const appliance = await openAppliance(context);
  const topology = await optionalNodes(context, flags.topology);
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
      ...(topology.source === undefined ? {} : { inventory: context.resolvePath(topology.source) }),
      dataDirs,
      purgeBackups: flags.purgeBackups,
    },
  };
}

/** verify-cleanup's production ports: the same state, nodes and cloud, read-only. */
export async function auditPorts(
  context: CommandContext,
  flags: {
    topology: TopologyFlags;
    dataDirs: readonly string[];
    reportFile?: string;
    format: "json" | "md";
    htmlFile?: string;
    fingerprintsFile?: string | undefined;
    unreachableCopies?: string | undefined;
  },
): Promise<{ ports: AuditPorts; request: AuditRequest }> {
  const { auditedState, readUnreachableCopies } = await import("./shred.js");
  const state = await auditedState(context);
  const { readAuditSigningKey } = await import("../lifecycle/audit-signing-key.js");
  const signingKey = await readAuditSigningKey(state.stateDir);
  const unreachableCopies =
    flags.unreachableCopies === undefined ? undefined : await readUnreachableCopies(context, flags.unreachableCopies);
  const topology = await optionalNodes(context, flags.topology);
  const dataDirs = await checkDataDirs(flags.dataDirs.map(context.resolvePath));
  const { toolVersion } = await import("../tool-version.js");
  return {
    ports: {
      vault: state.vault,
      stateDir: state.stateDir,
      journalDir: state.journalDir,
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
      ...(unreachableCopies === undefined ? {} : { unreachableCopies }),
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
