import { ConnectOpsError } from "@connect-ops/connection-core";
import type { HeldLock, LockOptions, VaultMeta } from "@connect-ops/credential-vault";
import type { CommandContext } from "../context.js";
import { CliError, usageError } from "../errors.js";
import { cloudAdminToken, cloudClient, crashHook, openAppliance, type Appliance } from "./appliance.js";
import { runCloudStep } from "./disconnect-cloud.js";
import { mergeFingerprints, readDisconnectJournal, writeDisconnectJournal, type DisconnectJournal, type DisconnectSubject } from "./disconnect-journal.js";
import { destroyLocalCredentials } from "./disconnect-local.js";
import { deleteOnPendingNodes, mergeNodes } from "./disconnect-nodes.js";
import { reviewSnapshots } from "./disconnect-snapshots.js";
import { loadTopology } from "./inventory.js";
import { checkDataDirs } from "./data-dirs.js";

export interface DisconnectRequest {
  readonly inventory: string;
  readonly dataDirs: readonly string[];
  readonly purgeBackups: boolean;
  readonly yes: boolean;
}

export interface DisconnectOptions {
  /** How long to wait for another holder of the vault lock (default: the vault's 30 s). */
  readonly lockOptions?: LockOptions;
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
  };
}

/** A fresh journal, or the one to resume; a completed one is resumed only when no new connection was sealed since. */
function startOrResume(existing: DisconnectJournal | undefined, meta: VaultMeta | undefined, appliance: Appliance, now: string): { journal: DisconnectJournal; resumed: boolean } {
  const subject = meta === undefined ? undefined : subjectOf(meta);
  const newConnection = meta !== undefined && existing !== undefined && (existing.completedAt !== undefined || existing.subject?.appId !== subject?.appId);
  if (existing !== undefined && !newConnection) return { journal: existing, resumed: true };
  if (meta === undefined) {
    throw usageError(`nothing to disconnect: no credentials are sealed in ${appliance.state.stateDir} and no disconnect was started`, "check --state-dir; after a restore, run `connect-ops backup restore` first");
  }
  return {
    resumed: false,
    journal: {
      format: "connect-ops/disconnect-journal@1",
      startedAt: now,
      updatedAt: now,
      fingerprints: mergeFingerprints(meta.residue === undefined ? [] : [meta.residue], existing?.fingerprints ?? []),
      ...(subject === undefined ? {} : { subject }),
      locations: { stateDir: appliance.state.stateDir, vault: appliance.vault.dir, inventory: "", dataDirs: [] },
      cloud: {},
      nodes: [],
      ...(existing === undefined ? {} : { history: [...(existing.history ?? []), { ...(existing.subject ? { subject: existing.subject } : {}), ...(existing.completedAt ? { completedAt: existing.completedAt } : {}) }] }),
    },
  };
}

async function confirmPlan(context: CommandContext, journal: DisconnectJournal, request: DisconnectRequest): Promise<void> {
  if (request.yes) return;
  if (!context.io.stdinIsTTY) {
    throw new CliError("CLI_CONFIRMATION_REQUIRED", "disconnect deletes the GitHub App and every copy of its credentials and needs confirmation", {
      category: "input",
      hint: "run it on a terminal to confirm, or pass --yes in a runbook",
    });
  }
  const lines = [
    "This will delete:",
    `  cloud      app ${journal.subject?.appSlug ?? "?"} (id ${journal.subject?.appId ?? "?"}), installation ${journal.subject?.installationId ?? "-"}, connection record ${journal.subject?.recordId ?? "-"} at ${journal.subject?.cloudUrl ?? "?"}`,
    `  primary    the vault ${journal.locations.vault} and any temp files in ${journal.locations.stateDir}`,
    ...journal.nodes.filter((node) => node.status === "pending").map((node) => `  node       ${node.name} (${node.role}) ${node.transport === "ssh" ? `${node.host}:` : ""}${node.path}`),
    ...journal.locations.dataDirs.map((dir) => `  snapshots  ${dir} ${request.purgeBackups ? "(redacted)" : "(listed only; --purge-backups redacts)"}`),
  ];
  context.io.stderr.write(`${lines.join("\n")}\n`);
  if (!(await context.io.confirm("Disconnect GitHub Connect now?"))) {
    throw new CliError("CLI_CONFIRMATION_REQUIRED", "disconnect was not confirmed; nothing was changed", { category: "input", hint: "answer y to proceed" });
  }
}

/**
 * The journaled disconnect (issue 6): intent → cloud → local vault → nodes →
 * snapshots → complete. Every step is saved to `<state>/journal/disconnect.json`
 * before the next begins; a re-run resumes and never repeats a saved effect.
 */
export async function disconnectAppliance(context: CommandContext, request: DisconnectRequest, options: DisconnectOptions = {}): Promise<DisconnectOutcome> {
  const appliance = await openAppliance(context);
  const topology = await loadTopology(context, { inventory: request.inventory });
  const dataDirs = await checkDataDirs(context, request.dataDirs);
  const now = (): string => new Date(context.io.now()).toISOString();
  const crash = crashHook(context);
  const meta = await appliance.vault.readMeta();
  const started = startOrResume(await readDisconnectJournal(appliance.journalDir), meta, appliance, now());
  let journal: DisconnectJournal = {
    ...started.journal,
    fingerprints: mergeFingerprints(started.journal.fingerprints, meta?.residue === undefined ? [] : [meta.residue]),
    locations: { ...started.journal.locations, inventory: context.resolvePath(request.inventory), dataDirs: [...new Set([...started.journal.locations.dataDirs, ...dataDirs])] },
    nodes: mergeNodes(started.journal.nodes, topology.all),
  };
  await confirmPlan(context, journal, request);
  const save = async (changes: Partial<DisconnectJournal>): Promise<void> => {
    journal = { ...journal, ...changes, updatedAt: now() };
    await writeDisconnectJournal(appliance.journalDir, journal);
  };
  await save({});
  crash("disconnect:intent-recorded");

  if (journal.local === undefined) {
    // The lock is taken before anything is deleted: if another command holds the vault, the
    // disconnect stops here (VAULT_LOCKED names the holder) with the cloud and the vault untouched.
    const lock = await appliance.vault.lock(options.lockOptions);
    const removed = await holdingLock(lock, async () => {
      if (journal.cloud.completedAt === undefined) await runCloud(context, appliance, journal, save);
      return destroyLocalCredentials(appliance.vault, appliance.state.stateDir, appliance.journalDir);
    });
    crash("disconnect:vault-destroyed");
    await save({ local: { removed, completedAt: now() } });
  }

  const nodes = await deleteOnPendingNodes(journal.nodes, { ssh: topology.ssh, specs: topology.all, now: context.io.now });
  crash("disconnect:nodes-deleted");
  await save({ nodes });

  const { createResidueMatcher } = await import("@connect-ops/connection-core");
  const review = await reviewSnapshots(journal.locations.dataDirs, createResidueMatcher(journal.fingerprints), request.purgeBackups, context.io.now);
  crash("disconnect:snapshots-reviewed");
  await save({ snapshots: { mode: request.purgeBackups ? "purged" : "listed", at: now(), entries: review.entries } });

  const pendingNodes = journal.nodes.filter((node) => node.status === "pending").map((node) => node.name);
  const completed = pendingNodes.length === 0 && review.unfinished === 0;
  if (completed && journal.completedAt === undefined) await save({ completedAt: now() });
  crash("disconnect:completed");
  return { completed, resumed: started.resumed, journal, journalFile: `${appliance.journalDir}/disconnect.json`, pendingNodes, unfinishedSnapshots: review.unfinished };
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
    throw new CliError("CLI_VAULT_UNLOCK_FAILED", `disconnect stopped (${what}) and the vault lock could not be released either`, {
      category: error instanceof ConnectOpsError ? error.category : "internal",
      hint: error instanceof ConnectOpsError && error.hint !== undefined ? error.hint : "run disconnect again: a lock left by this process is recovered",
      cause: new AggregateError([error, releaseError]),
    });
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

async function runCloud(context: CommandContext, appliance: Appliance, journal: DisconnectJournal, save: (changes: Partial<DisconnectJournal>) => Promise<void>): Promise<void> {
  const subject = journal.subject;
  const meta = await appliance.vault.readMeta();
  if (subject === undefined || meta === undefined) {
    throw usageError(
      "the vault is gone but the cloud side of the disconnect was never finished: the app key needed to delete the app is not available",
      "delete the GitHub App and the connection record by hand on the cloud, or restore the vault from a replica or backup and run disconnect again",
    );
  }
  const { bundle } = await appliance.vault.open(appliance.state.identities);
  const client = await cloudClient(context, subject.cloudUrl);
  const cloud = await runCloudStep(
    subject,
    { app: { appId: bundle.app.appId, privateKeyPem: bundle.app.privateKeyPem, slug: bundle.app.slug }, token: bundle.token?.value },
    journal.cloud,
    { client, hasAdminToken: cloudAdminToken(context) !== undefined, now: context.io.now, save: (steps) => save({ cloud: steps }), crash: crashHook(context) },
  );
  await save({ cloud });
}
