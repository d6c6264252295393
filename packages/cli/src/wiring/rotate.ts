import { join } from "node:path";
import type { CommandContext } from "../context.js";
import { usageError } from "../errors.js";
import type { TopologyFlags } from "../flows/inventory.js";
import type { RotateKeyPorts } from "../lifecycle/rotate-key-journal.js";
import { cloudFactory, crashHook, openedAppliance } from "./appliance.js";

// Composition root (see appliance.ts): rotate-key. Every flag and file is checked here, before the lifecycle runs,
// so bad input changes nothing.

export interface RotateWiringFlags {
  /** Undefined without --inventory/--cluster-conf: the vault is not pushed anywhere. */
  readonly topology?: TopologyFlags;
  readonly dataDir?: string;
  readonly backupConfig?: string;
  readonly backupPolicy?: string;
  readonly recipient?: readonly string[];
  readonly recipientsFile?: string;
}

export async function rotateKeyPorts(context: CommandContext, flags: RotateWiringFlags): Promise<RotateKeyPorts> {
  const policy = flags.backupPolicy ?? "redact";
  if (policy !== "include" && policy !== "redact") {
    throw usageError(`--backup-policy must be include or redact, not "${policy}"`, "pass --backup-policy include");
  }
  const wantsBackup = flags.dataDir !== undefined || flags.backupConfig !== undefined;
  if (policy === "include" && !wantsBackup) {
    throw usageError("--backup-policy include needs the data dir", "pass --data-dir DIR or --backup-config FILE");
  }
  let replicate: RotateKeyPorts["replicate"];
  if (flags.topology !== undefined) {
    const { replicatePorts } = await import("./nodes.js");
    const { replicateFromPrimary } = await import("../lifecycle/replicate.js");
    const ports = await replicatePorts(context, flags.topology, {});
    replicate = () => replicateFromPrimary(ports, { dryRun: false });
  }
  let include: RotateKeyPorts["include"];
  if (policy === "include") {
    const { resolveBackupSettings } = await import("../flows/backup-config.js");
    const { listSnapshots } = await import("@connect-ops/backup-hooks");
    const { dataDir } = await resolveBackupSettings(flags, context.io.env, context.resolvePath);
    // BACKUP_NOT_FOUND (exit 2) for a wrong data dir, before anything is written.
    await listSnapshots(dataDir);
    const { includePorts } = await import("./backup.js");
    // Resolved now: a missing or bad backup recipient is refused before anything is written.
    const ports = await includePorts(context, { recipient: flags.recipient, recipientsFile: flags.recipientsFile });
    include = async () => {
      const { includeIntoSnapshot } = await import("../lifecycle/backup-include.js");
      return await includeIntoSnapshot(ports, {
        snapshot: join(dataDir, "current"),
        force: false,
      });
    };
  }
  return {
    openAppliance: () => openedAppliance(context),
    cloud: cloudFactory(context),
    now: context.io.now,
    crash: await crashHook(context),
    ...(replicate === undefined ? {} : { replicate }),
    ...(include === undefined ? {} : { include }),
  };
}
