import type { Config } from "@connect-ops/connection-core";
import type { CredentialVault, EnrolledNode } from "@connect-ops/credential-vault";
import { CliError, usageError } from "../errors.js";
import { readJournal, writeJournal } from "../flows/journal-file.js";
import type { CrashHook } from "./ports.js";
import type { ReplicateReport } from "./replicate.js";
import { destroyOldIdentity, identityPaths, promoteNextIdentity } from "./rekey-identity.js";

export const REKEY_JOURNAL = "rekey";

/** What a rekey is asked to do (kept in its journal, so a re-run without flags finishes the same job). */
export interface RekeyRequest {
  readonly addRecipients: readonly string[];
  readonly removeRecipients: readonly string[];
  readonly newIdentity: boolean;
}

interface RekeyJournal extends RekeyRequest {
  readonly format: "connect-ops/rekey-journal@1";
  readonly startedAt: string;
  readonly completedAt?: string;
  readonly generation?: number;
  /** The new identity's recipient, once its file exists: a re-run never makes another. */
  readonly newRecipient?: string;
}

/** The state a rekey step reads afresh (a state dir reloaded: the next identity and the config change show up). */
export interface RekeyState {
  readonly vault: CredentialVault;
  readonly identities: readonly string[];
  readonly recipient: string;
  readonly pendingRecipients: readonly string[];
  readonly config: Config;
  readonly enrolledNodes: readonly EnrolledNode[];
}

export interface RekeyPorts {
  readonly stateDir: string;
  readonly journalDir: string;
  readonly load: () => Promise<RekeyState>;
  /** Writes the recovery recipients into the state dir's config (atomic). */
  readonly writeRecoveryRecipients: (recipients: readonly string[]) => Promise<void>;
  /** Writes a new identity to `path` (0600) unless one is there; returns the recipient of the one there. */
  readonly createIdentity: (path: string) => Promise<string>;
  /** Pushes the vault to every node and verifies it (replicate); undefined for a standalone appliance. */
  readonly replicate?: () => Promise<ReplicateReport>;
  readonly now: () => number;
  readonly crash: CrashHook;
}

export interface RekeyOutcome {
  readonly resumed: boolean;
  readonly generation: number;
  readonly recipients: readonly string[];
  readonly identityReplaced: boolean;
  readonly oldIdentityDestroyed: boolean;
  readonly nodes: ReplicateReport["nodes"];
}

const sameRequest = (a: RekeyRequest, b: RekeyRequest): boolean =>
  JSON.stringify([[...a.addRecipients].sort(), [...a.removeRecipients].sort(), a.newIdentity]) ===
  JSON.stringify([[...b.addRecipients].sort(), [...b.removeRecipients].sort(), b.newIdentity]);

const isEmpty = (request: RekeyRequest): boolean =>
  request.addRecipients.length === 0 && request.removeRecipients.length === 0 && !request.newIdentity;

/** Refuses (exit 2, nothing changed) a removal that would lock out the appliance or a node, or names nothing sealed to. */
function checkRemovals(request: RekeyRequest, state: RekeyState): void {
  for (const recipient of request.removeRecipients) {
    if (recipient === state.recipient)
      throw usageError(
        `--remove-recipient ${recipient} is this appliance's own recipient`,
        "use --new-identity to replace the appliance identity",
      );
    if (state.enrolledNodes.some((node) => node.recipient === recipient))
      throw usageError(
        `--remove-recipient ${recipient} is an enrolled node's recipient`,
        "a node opens its copy with it",
      );
    if (!state.config.recoveryRecipients.includes(recipient))
      throw usageError(
        `--remove-recipient ${recipient} is not a recovery recipient of this state dir`,
        "list them in config.json (recoveryRecipients); nothing was changed",
      );
  }
}

/**
 * `rekey` (issue 17.2): re-seals the vault to a changed recipient set and/or
 * a fresh appliance identity, pushes it to every node and verifies it there,
 * and only then destroys the old identity. Journaled in `journal/rekey.json`;
 * each step is idempotent, so a re-run after a crash at any point converges.
 * The old identity is destroyed only once the vault and every node hold a
 * generation sealed without it, which the new identity opens.
 */
export async function runRekey(ports: RekeyPorts, request: RekeyRequest): Promise<RekeyOutcome> {
  const existing = await readJournal<RekeyJournal>(ports.journalDir, REKEY_JOURNAL);
  const pending = existing !== undefined && existing.completedAt === undefined ? existing : undefined;
  if (pending !== undefined && !isEmpty(request) && !sameRequest(pending, request))
    throw usageError(
      "a different rekey is unfinished",
      "run `connect-ops rekey` without flags (or with the same ones) to finish it first",
    );
  const job: RekeyRequest = pending ?? request;
  if (isEmpty(job))
    throw usageError(
      "rekey needs --add-recipient, --remove-recipient or --new-identity",
      "see `connect-ops rekey --help`",
    );
  const { STATE_FILES } = await import("@connect-ops/credential-vault");
  const paths = identityPaths(ports.stateDir, STATE_FILES);
  let state = await ports.load();
  let journal: RekeyJournal = pending ?? {
    format: "connect-ops/rekey-journal@1",
    startedAt: new Date(ports.now()).toISOString(),
    ...job,
  };
  if (pending === undefined) {
    checkRemovals(job, state);
    const dropsRecipient = job.newIdentity || job.removeRecipients.length > 0;
    if (dropsRecipient && state.enrolledNodes.length > 0 && ports.replicate === undefined)
      throw usageError("this appliance has enrolled nodes: rekey must reach them", "pass --inventory FILE");
    if ((await state.vault.readMeta()) === undefined)
      throw usageError("the vault holds no credentials to re-seal", "run `connect-ops connect` first");
    await writeJournal(ports.journalDir, REKEY_JOURNAL, journal);
  }
  ports.crash("rekey:planned");
  if (job.newIdentity && journal.newRecipient === undefined) {
    journal = { ...journal, newRecipient: await ports.createIdentity(paths.next) };
    await writeJournal(ports.journalDir, REKEY_JOURNAL, journal);
  }
  ports.crash("rekey:identity-created");
  const recovery = [
    ...new Set([
      ...state.config.recoveryRecipients.filter((r) => !job.removeRecipients.includes(r)),
      ...job.addRecipients,
    ]),
  ];
  if (JSON.stringify(recovery) !== JSON.stringify(state.config.recoveryRecipients))
    await ports.writeRecoveryRecipients(recovery);
  ports.crash("rekey:config-written");
  state = await ports.load();
  // The new identity (still `next`, or promoted already by an interrupted run) replaces the old one.
  const own = journal.newRecipient === undefined ? [state.recipient] : [journal.newRecipient];
  const target = [...new Set([...own, ...recovery, ...state.enrolledNodes.map((node) => node.recipient)])];
  const { resealToRecipients } = await import("@connect-ops/credential-vault");
  const sealed = await resealToRecipients(state.vault, state.identities, target);
  ports.crash("rekey:resealed");
  const report = await ports.replicate?.();
  const behind = (report?.nodes ?? []).filter((row) => row.status !== "updated" && row.status !== "unchanged");
  if (behind.length > 0)
    throw new CliError(
      "CLI_REKEY_INCOMPLETE",
      `the vault is re-sealed but ${behind.length} node(s) do not hold it yet: ${behind.map((row) => row.name).join(", ")}`,
      {
        category: "incomplete",
        hint: "the old identity is kept until every node holds the new sealing; fix the nodes and run `connect-ops rekey --inventory FILE` again",
      },
    );
  ports.crash("rekey:replicated");
  let destroyed = false;
  if (journal.newRecipient !== undefined) {
    if (state.recipient !== journal.newRecipient) await promoteNextIdentity(paths);
    ports.crash("rekey:promoted");
    destroyed = await destroyOldIdentity(paths, (step) => ports.crash(`rekey:old-${step}`));
    ports.crash("rekey:old-destroyed");
  }
  await writeJournal(ports.journalDir, REKEY_JOURNAL, {
    ...journal,
    generation: sealed.meta.generation,
    completedAt: new Date(ports.now()).toISOString(),
  });
  return {
    resumed: pending !== undefined,
    generation: sealed.meta.generation,
    recipients: sealed.meta.recipients,
    identityReplaced: job.newIdentity,
    oldIdentityDestroyed: destroyed,
    nodes: report?.nodes ?? [],
  };
}
