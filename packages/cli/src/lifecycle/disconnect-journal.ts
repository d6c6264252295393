import type { ResidueFingerprints } from "@connect-ops/connection-core";
import { readJournal, writeJournal } from "../flows/journal-file.js";

export const DISCONNECT_JOURNAL = "disconnect";

/** Which connection is being (or was) disconnected. Ids and names only: nothing secret. */
export interface DisconnectSubject {
  readonly cloudUrl: string;
  readonly appId: number;
  readonly appSlug: string;
  readonly installationId?: number;
  readonly recordId?: number;
  readonly keyFingerprint?: string;
  /** From the connection record (journals before these fields lack them). */
  readonly hostname?: string;
  readonly ghesVersion?: string;
  /** `enterprise:acme` / `organization:octo`. */
  readonly account?: string;
}

export interface CloudStepResult {
  /**
   * `deleted` (the cloud answered 2xx), `already-gone` (a 404 for what this disconnect saw before at the same URL
   * with the same credentials, or the App's key refused), `unsupported` (the cloud does not offer the endpoint
   * family, or never showed the resource: not provable), `pending-person` (a person must act in the settings page),
   * `none` (nothing of the kind was registered), and the token's `revoked`/`already-invalid`/`no-token`.
   */
  readonly result: string;
  readonly at: string;
  /** Why, in words, for the report: what the cloud answered. */
  readonly detail?: string;
}

/** A credential presented after the deletes, and the cloud's answer (401 = refused). */
export interface CloudProof {
  readonly credential: "app-jwt" | "installation-token";
  readonly request: string;
  readonly status: number;
  readonly at: string;
}

/** The settings-page step a person takes where the cloud has no API to delete the App (github.com). */
export interface PersonStep {
  readonly url: string;
  readonly instructions: string;
  readonly since: string;
}

/** What the cloud step did, one field per effect, written as soon as each effect is seen. */
export interface CloudSteps {
  readonly tokenRevoke?: CloudStepResult;
  /** When this disconnect saw the installation / record exist (before deleting): what makes a later 404 "gone". */
  readonly installationSeen?: { readonly at: string };
  readonly installation?: CloudStepResult;
  readonly recordSeen?: { readonly at: string; readonly as: "admin" | "app" };
  readonly record?: CloudStepResult;
  readonly app?: CloudStepResult;
  /** Set while the App still answers its JWT and only a person can delete it; cleared by the proof. */
  readonly appDeletion?: PersonStep;
  /** The proofs from the credentials themselves, taken before the key is destroyed. */
  readonly proofs?: { readonly appKey?: CloudProof; readonly token?: CloudProof };
  /** The old token was presented after the deletes and the cloud refused it (401). */
  readonly revocationProof?: { readonly checkedAt: string; readonly tokenRefused: boolean; readonly method: string };
  readonly completedAt?: string;
}

export interface NodeStep {
  readonly name: string;
  readonly role: string;
  readonly transport: string;
  readonly host: string;
  /** How to reach an ssh node again (journals before these fields lack them: such a node must be given to audit it). */
  readonly port?: number;
  readonly user?: string;
  readonly path: string;
  /** `pending` until the node confirmed the files are gone (`deleted`/`absent`). */
  readonly status: "pending" | "deleted" | "absent";
  readonly attempts: number;
  readonly lastError?: { readonly code: string; readonly message: string };
  readonly completedAt?: string;
}

export interface SnapshotEntry {
  readonly dataDir: string;
  readonly snapshot: string;
  readonly path: string;
  readonly isCurrent: boolean;
  /** `purged`: redacted by this run; `holds-residue`: still holds the listed findings (not purged). */
  readonly state: "clean" | "purged" | "holds-residue" | "not-checked";
  readonly findings: number;
  readonly sealedCopy: boolean;
  readonly recipients: readonly string[];
  readonly gaps: number;
}

/**
 * `<state>/journal/disconnect.json`. It is the one thing disconnect keeps
 * forever: `fingerprints` (secret-free, invariant 2) let verify-cleanup and
 * `backup scan` recognise residue after the credentials are destroyed.
 */
export interface DisconnectJournal {
  readonly format: "connect-ops/disconnect-journal@1";
  readonly startedAt: string;
  readonly updatedAt: string;
  /** Every fingerprint set this appliance ever had, newest first; never dropped. */
  readonly fingerprints: readonly ResidueFingerprints[];
  readonly subject?: DisconnectSubject;
  readonly locations: {
    readonly stateDir: string;
    readonly vault: string;
    readonly inventory: string;
    readonly dataDirs: readonly string[];
  };
  readonly cloud: CloudSteps;
  readonly local?: { readonly removed: readonly { path: string; bytes: number }[]; readonly completedAt: string };
  readonly nodes: readonly NodeStep[];
  readonly snapshots?: {
    readonly mode: "purged" | "listed";
    readonly at: string;
    readonly entries: readonly SnapshotEntry[];
  };
  readonly completedAt?: string;
  /** Subjects of earlier completed disconnects (a later connect, then another disconnect). */
  readonly history?: readonly { readonly subject?: DisconnectSubject; readonly completedAt?: string }[];
}

export function readDisconnectJournal(journalDir: string): Promise<DisconnectJournal | undefined> {
  return readJournal<DisconnectJournal>(journalDir, DISCONNECT_JOURNAL);
}

export function writeDisconnectJournal(journalDir: string, journal: DisconnectJournal): Promise<void> {
  return writeJournal(journalDir, DISCONNECT_JOURNAL, journal);
}

/** Newest first, one entry per id: a set seen again keeps its newest content (more token digests). */
export function mergeFingerprints(...lists: ReadonlyArray<readonly ResidueFingerprints[]>): ResidueFingerprints[] {
  const byId = new Map<string, ResidueFingerprints>();
  for (const list of lists) for (const set of list) if (!byId.has(set.id)) byId.set(set.id, set);
  return [...byId.values()];
}
