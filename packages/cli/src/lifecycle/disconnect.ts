import { ConnectOpsError, type CloudClient } from "@connect-ops/connection-core";
import {
  residueSetsOf,
  type CredentialVault,
  type HeldLock,
  type LockOptions,
  type VaultMeta,
} from "@connect-ops/credential-vault";
import type { FanOutOptions, NodeSpec, SshOptions } from "@connect-ops/replication";
import { CliError, usageError } from "../errors.js";
import { recordFacts } from "../flows/audit-report.js";
import { runCloudStep } from "./disconnect-cloud.js";
import {
  mergeFingerprints,
  readDisconnectJournal,
  writeDisconnectJournal,
  type DisconnectJournal,
  type DisconnectSubject,
} from "./disconnect-journal.js";
import { destroyLocalCredentials } from "./disconnect-local.js";
import { deleteOnPendingNodes, mergeNodes } from "./disconnect-nodes.js";
import { reviewSnapshots } from "./disconnect-snapshots.js";
import type { CloudClientFactory, CrashHook } from "./ports.js";

/** What the disconnect touches, passed in (production ports: src/wiring/disconnect.ts). */
export interface DisconnectPorts {
  readonly vault: CredentialVault;
  readonly stateDir: string;
  /** The age identities that open the vault (the app key is needed to delete the app). */
  readonly identities: readonly string[];
  readonly journalDir: string;
  readonly cloud: CloudClientFactory;
  /** Whether the cloud client carries an admin token (connection records need it). */
  readonly hasAdminToken: boolean;
  /** Every node of the inventory, and how to reach the ssh ones. */
  readonly nodes: readonly NodeSpec[];
  readonly ssh: SshOptions;
  /** Retries, timeouts and the clock of the node fan-out (default: the replication defaults). */
  readonly fanOut?: FanOutOptions;
  readonly now: () => number;
  readonly crash: CrashHook;
  /** Shown the plan before anything changes; throws to refuse (nothing is changed then). */
  readonly confirm: (journal: DisconnectJournal) => Promise<void>;
  /** How long to wait for another holder of the vault lock (default: the vault's 30 s). */
  readonly lockOptions?: LockOptions;
}

export interface DisconnectRequest {
  /** The inventory file, resolved (recorded in the journal); none for a standalone appliance. */
  readonly inventory?: string;
  /** Backup data dirs, resolved and checked. */
  readonly dataDirs: readonly string[];
  readonly purgeBackups: boolean;
}

export interface DisconnectOutcome {
  readonly completed: boolean;
  readonly resumed: boolean;
  readonly journal: DisconnectJournal;
  readonly journalFile: string;
  readonly pendingNodes: readonly string[];
  /** Snapshots whose purge left something (exit 3 with --purge-backups). */
  readonly unfinishedSnapshots: number;
}

function subjectOf(meta: VaultMeta): DisconnectSubject | undefined {
  if (meta.cloudUrl === undefined || meta.appId === undefined || meta.appSlug === undefined) return undefined;
  return {
    cloudUrl: meta.cloudUrl,
    appId: meta.appId,
    appSlug: meta.appSlug,
    ...(meta.installationId === undefined ? {} : { installationId: meta.installationId }),
    ...(meta.recordId === undefined ? {} : { recordId: meta.recordId }),
    ...(meta.keyFingerprint === undefined ? {} : { keyFingerprint: meta.keyFingerprint }),
    ...recordFacts(meta.record),
  };
}

/** A fresh journal, or the one to resume; a completed one is resumed only when no new connection was sealed since. */
function startOrResume(
  existing: DisconnectJournal | undefined,
  meta: VaultMeta | undefined,
  ports: DisconnectPorts,
  now: string,
): { journal: DisconnectJournal; resumed: boolean } {
  const subject = meta === undefined ? undefined : subjectOf(meta);
  const newConnection =
    meta !== undefined &&
    existing !== undefined &&
    (existing.completedAt !== undefined || existing.subject?.appId !== subject?.appId);
  if (existing !== undefined && !newConnection) return { journal: existing, resumed: true };
  if (meta === undefined) {
    throw usageError(
      `nothing to disconnect: no credentials are sealed in ${ports.stateDir} and no disconnect was started`,
      "check --state-dir; after a restore, run `connect-ops backup restore` first",
    );
  }
  return {
    resumed: false,
    journal: {
      format: "connect-ops/disconnect-journal@1",
      startedAt: now,
      updatedAt: now,
      fingerprints: mergeFingerprints(residueSetsOf(meta), existing?.fingerprints ?? []),
      ...(subject === undefined ? {} : { subject }),
      locations: { stateDir: ports.stateDir, vault: ports.vault.dir, inventory: "", dataDirs: [] },
      cloud: {},
      nodes: [],
      ...(existing === undefined
        ? {}
        : {
            history: [
              ...(existing.history ?? []),
              {
                ...(existing.subject ? { subject: existing.subject } : {}),
                ...(existing.completedAt ? { completedAt: existing.completedAt } : {}),
              },
            ],
          }),
    },
  };
}

/**
 * The journaled disconnect (issue 6): intent → cloud → local vault → nodes →
 * snapshots → complete. Every step is saved to `<state>/journal/disconnect.json`
 * before the next begins; a re-run resumes and never repeats a saved effect.
 */
export async function runDisconnect(ports: DisconnectPorts, request: DisconnectRequest): Promise<DisconnectOutcome> {
  const { vault, journalDir, crash } = ports;
  const now = (): string => new Date(ports.now()).toISOString();
  const meta = await vault.readMeta();
  const started = startOrResume(await readDisconnectJournal(journalDir), meta, ports, now());
  let journal: DisconnectJournal = {
    ...started.journal,
    fingerprints: mergeFingerprints(started.journal.fingerprints, residueSetsOf(meta)),
    locations: {
      ...started.journal.locations,
      inventory: request.inventory ?? started.journal.locations.inventory,
      dataDirs: [...new Set([...started.journal.locations.dataDirs, ...request.dataDirs])],
    },
    nodes: mergeNodes(started.journal.nodes, ports.nodes),
  };
  await ports.confirm(journal);
  const save = async (changes: Partial<DisconnectJournal>): Promise<void> => {
    journal = { ...journal, ...changes, updatedAt: now() };
    await writeDisconnectJournal(journalDir, journal);
  };
  await save({});
  crash("disconnect:intent-recorded");

  if (journal.local === undefined) {
    // The lock is taken before anything is deleted: if another command holds the vault, the
    // disconnect stops here (VAULT_LOCKED names the holder) with the cloud and the vault untouched.
    const lock = await vault.lock(ports.lockOptions);
    const cloudDone = (): boolean => journal.cloud.completedAt !== undefined;
    const removed = await holdingLock(lock, async () => {
      if (!cloudDone()) await runCloud(ports, journal, save);
      // The App still answers its JWT (a person must delete it in the settings page): the key stays
      // until a re-run has proved it refused, so nodes and snapshots go first and the run ends at exit 3.
      return cloudDone() ? destroyLocalCredentials(vault, ports.stateDir, journalDir) : undefined;
    });
    if (removed !== undefined) {
      crash("disconnect:vault-destroyed");
      await save({ local: { removed, completedAt: now() } });
    }
  }

  const nodes = await deleteOnPendingNodes(journal.nodes, {
    ssh: ports.ssh,
    specs: ports.nodes,
    now: ports.now,
    ...(ports.fanOut === undefined ? {} : { fanOut: ports.fanOut }),
  });
  crash("disconnect:nodes-deleted");
  await save({ nodes });

  const { createResidueMatcher } = await import("@connect-ops/connection-core");
  const review = await reviewSnapshots(
    journal.locations.dataDirs,
    createResidueMatcher(journal.fingerprints),
    request.purgeBackups,
    ports.now,
  );
  crash("disconnect:snapshots-reviewed");
  await save({ snapshots: { mode: request.purgeBackups ? "purged" : "listed", at: now(), entries: review.entries } });

  const pendingNodes = journal.nodes.filter((node) => node.status === "pending").map((node) => node.name);
  const completed = pendingNodes.length === 0 && review.unfinished === 0 && journal.local !== undefined;
  if (completed && journal.completedAt === undefined) await save({ completedAt: now() });
  crash("disconnect:completed");
  return {
    completed,
    resumed: started.resumed,
    journal,
    journalFile: `${journalDir}/disconnect.json`,
    pendingNodes,
    unfinishedSnapshots: review.unfinished,
  };
}

/**
 * Runs `work` under `lock` and releases it. A release that fails is never dropped: alone it
 * fails the command (CLI_VAULT_UNLOCK_FAILED); after a failed `work` both errors travel on.
 */
async function holdingLock<T>(lock: HeldLock, work: () => Promise<T>): Promise<T> {
  let result: T;
  try {
    result = await work();
  } catch (error) {
    const releaseError = await lock.release().then(
      () => undefined,
      (failure: unknown) => failure,
    );
    if (releaseError === undefined) throw error;
    const what = error instanceof ConnectOpsError ? `${error.code}: ${error.message}` : "an internal error";
    throw new CliError(
      "CLI_VAULT_UNLOCK_FAILED",
      `disconnect stopped (${what}) and the vault lock could not be released either`,
      {
        category: error instanceof ConnectOpsError ? error.category : "internal",
        hint:
          error instanceof ConnectOpsError && error.hint !== undefined
            ? error.hint
            : "run disconnect again: a lock left by this process is recovered",
        cause: new AggregateError([error, releaseError]),
      },
    );
  }
  try {
    await lock.release();
  } catch (error) {
    throw new CliError("CLI_VAULT_UNLOCK_FAILED", "the vault was destroyed but its lock file could not be released", {
      category: "incomplete",
      hint: "check the state dir's permissions and run disconnect again: it resumes after the vault step",
      cause: error,
    });
  }
  return result;
}

async function runCloud(
  ports: DisconnectPorts,
  journal: DisconnectJournal,
  save: (changes: Partial<DisconnectJournal>) => Promise<void>,
): Promise<void> {
  const subject = journal.subject;
  const meta = await ports.vault.readMeta();
  if (subject === undefined || meta === undefined) {
    throw usageError(
      "the vault is gone but the cloud side of the disconnect was never finished: the app key needed to delete the app is not available",
      "delete the GitHub App and the connection record by hand on the cloud, or restore the vault from a replica or backup and run disconnect again",
    );
  }
  const { bundle } = await ports.vault.open(ports.identities);
  const client: CloudClient = await ports.cloud(subject.cloudUrl);
  const cloud = await runCloudStep(
    subject,
    {
      app: { appId: bundle.app.appId, privateKeyPem: bundle.app.privateKeyPem, slug: bundle.app.slug },
      token: bundle.token?.value,
    },
    journal.cloud,
    {
      client,
      hasAdminToken: ports.hasAdminToken,
      now: ports.now,
      save: (steps) => save({ cloud: steps }),
      crash: ports.crash,
    },
  );
  await save({ cloud });
}
