import type { CommandContext } from "../context.js";
import type { RecipientFlags } from "../flows/backup-recipients.js";
import type { LoadedFingerprints } from "../flows/fingerprints.js";
import type { IncludePorts } from "../lifecycle/backup-include.js";
import type { RedactPorts } from "../lifecycle/backup-redact.js";
import type { CurrentCopies, ScanPorts } from "../lifecycle/backup-scan.js";
import type { RestorePorts } from "../lifecycle/restore.js";
import type { TopologyFlags } from "../flows/inventory.js";
import { cloudFactory, crashHook, openAppliance } from "./appliance.js";
import { loadTopology } from "./topology.js";

// Composition root (see appliance.ts): the backup commands (include, redact, scan, restore).

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

/** backup include's production ports: the vault, then the backup recipients from the flags or the config (checked before any snapshot is). */
export async function includePorts(
  context: CommandContext,
  flags: RecipientFlags & { readonly escrow?: string | undefined },
): Promise<IncludePorts> {
  const appliance = await openAppliance(context);
  const { resolveBackupRecipients } = await import("../flows/backup-recipients.js");
  const { readEscrowRecipient } = await import("../flows/backup-escrow.js");
  const escrow = flags.escrow === undefined ? undefined : await readEscrowRecipient(flags.escrow, context.resolvePath);
  // The escrow alone is a backup key kept off the appliance: no other recipient is then required.
  const escrowOnly =
    escrow !== undefined &&
    (flags.recipient ?? []).length === 0 &&
    flags.recipientsFile === undefined &&
    appliance.state.config.backupRecipients.length === 0;
  const backupRecipients = escrowOnly
    ? []
    : await resolveBackupRecipients(
        flags,
        { recipient: appliance.state.recipient, configured: appliance.state.config.backupRecipients },
        context.resolvePath,
      );
  if (escrow?.recipient === appliance.state.recipient) {
    const { usageError } = await import("../errors.js");
    throw usageError(
      "--escrow names this appliance's own identity",
      "create the escrow on the backup host: connect-ops backup escrow init --out FILE",
    );
  }
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
      ...new Set([
        ...backupRecipients,
        ...(escrow === undefined ? [] : [escrow.recipient]),
        ...appliance.state.enrolledNodes.map((node) => node.recipient),
      ]),
    ],
    ...(escrow === undefined ? {} : { escrow }),
    enrolledNodes: appliance.state.enrolledNodes,
    now: context.io.now,
  };
}

/**
 * The backup ports' two loaders over one read of the state dir and
 * `--fingerprints FILE`, made when the lifecycle first asks: the fingerprint
 * sets, and the age audit — this state dir's sealed-copy ledger and
 * identities plus the copies an export given as the file lists (none of
 * either: every age file is then a gap).
 */
function fingerprintLoaders(
  context: CommandContext,
  fingerprintsFile: string | undefined,
): Pick<RedactPorts, "loadFingerprints"> & { loadAgeAudit: NonNullable<RedactPorts["loadAgeAudit"]> } {
  let loaded: Promise<LoadedFingerprints> | undefined;
  const sources = (): Promise<LoadedFingerprints> => {
    loaded ??= import("../flows/fingerprints.js").then(({ loadFingerprintSources }) =>
      loadFingerprintSources({ stateDir: context.globals.stateDir, fingerprintsFile, cwd: context.io.cwd }),
    );
    return loaded;
  };
  return {
    loadFingerprints: async () => (await sources()).sets,
    loadAgeAudit: async () => {
      const { loadAgeAudit } = await import("../lifecycle/audit-age.js");
      const knownCopies = (await sources()).fileSealedCopies;
      return loadAgeAudit(context.globals.stateDir, { identities: true, knownCopies });
    },
  };
}

/** backup redact's (and the redact hook's) production ports. */
export function redactPorts(context: CommandContext, fingerprintsFile: string | undefined): RedactPorts {
  return {
    ...fingerprintLoaders(context, fingerprintsFile),
    now: context.io.now,
  };
}

/** backup scan's production ports: the progress line on a terminal's stderr. */
export async function scanPorts(context: CommandContext, fingerprintsFile: string | undefined): Promise<ScanPorts> {
  const { scanProgressLine } = await import("../flows/backup-progress.js");
  return {
    ...fingerprintLoaders(context, fingerprintsFile),
    progress: scanProgressLine(context.terminal, { enabled: context.globals.progress, now: context.io.now }),
    // Told only when threads were wanted (a tree of 64 MiB or more): a small scan never loads the logger.
    onThreads: async ({ threads, failures }) => {
      const logger = await context.logger();
      if (threads === 0) logger.debug("scan read on one thread: this build ships no scan-worker entry");
      else logger.debug({ threads }, `scan read on ${threads} threads`);
      for (const failure of failures)
        logger.warn({ failure }, "a scan thread failed; the files it held were read on the main thread");
    },
  };
}

/** `backup scan --policy include`: the vault's generation and the copies include recorded for it, from this state dir. */
export async function currentCopies(context: CommandContext): Promise<CurrentCopies | undefined> {
  const appliance = await openAppliance(context);
  const meta = await appliance.vault.readMeta();
  const { readIncludedCopies } = await import("../flows/included-copies.js");
  const record = await readIncludedCopies(appliance.journalDir);
  if (meta === undefined || record?.generation !== meta.generation || record.keyFingerprint !== meta.keyFingerprint)
    return meta === undefined ? undefined : { generation: meta.generation, sha256: new Set() };
  return { generation: meta.generation, sha256: new Set(record.sha256) };
}
