import type { CloudApp } from "@connect-ops/connection-core";
import { readJournal, writeJournal } from "../flows/journal-file.js";
import type { IncludeOutcome } from "./backup-include.js";
import type { ReplicateReport } from "./replicate.js";
import { webBaseOf } from "./app-settings-page.js";
import type { CloudClientFactory, CrashHook, OpenedAppliance } from "./ports.js";

/** The rotate-key journal (`<state>/journal/rotate-key.json`): fingerprints and times only, nothing secret. */
export interface RotateKeyJournal {
  readonly format: "connect-ops/rotate-key-journal@1";
  readonly cloudUrl: string;
  readonly appId: number;
  /** The key being rotated in (active once sealed). */
  readonly activeFingerprint: string;
  /** The key being rotated out. */
  readonly retiringFingerprint: string;
  readonly startedAt: string;
  readonly steps: {
    readonly proven?: string;
    readonly sealed?: string;
    readonly minted?: string;
    readonly replicated?: string;
    readonly included?: string;
    readonly oldKeyRefused?: string;
    readonly dropped?: string;
  };
  /** Set by `--finish` once the retiring key is refused, dropped, and every copy holds the drop. */
  readonly finishedAt?: string;
}

const JOURNAL = "rotate-key";

export async function readRotateJournal(journalDir: string): Promise<RotateKeyJournal | undefined> {
  const journal = await readJournal<RotateKeyJournal>(journalDir, JOURNAL);
  return journal?.format === "connect-ops/rotate-key-journal@1" ? journal : undefined;
}

export async function saveRotateJournal(journalDir: string, journal: RotateKeyJournal): Promise<void> {
  await writeJournal(journalDir, JOURNAL, journal);
}

/** What both halves of `rotate-key` touch. */
export interface RotateKeyPorts {
  readonly openAppliance: () => Promise<OpenedAppliance>;
  readonly cloud: CloudClientFactory;
  readonly now: () => number;
  readonly crash: CrashHook;
  /** Pushes the vault to every node of `--inventory`/`--cluster-conf` (verified on each); absent without one. */
  readonly replicate?: () => Promise<ReplicateReport>;
  /** Includes the vault into the newest snapshot (backup policy include); absent otherwise. */
  readonly include?: () => Promise<IncludeOutcome>;
}

/** The settings-page step a person must take, with where to take it. */
export interface KeyDeletionStep {
  readonly fingerprint: string;
  readonly url: string;
  readonly instructions: string;
}

/**
 * Where a person deletes an App key (GitHub docs, "Managing private keys for GitHub Apps"): the App's settings,
 * General, "Private keys", the row with this fingerprint, Delete. github.com has no API for it.
 */
export function keyDeletionStep(apiBaseUrl: string, app: CloudApp, fingerprint: string): KeyDeletionStep {
  const owner = encodeURIComponent(app.ownerLogin);
  const slug = encodeURIComponent(app.slug);
  const path =
    app.ownerType === "enterprise"
      ? `/enterprises/${owner}/settings/apps/${slug}`
      : app.ownerType === "organization"
        ? `/organizations/${owner}/settings/apps/${slug}`
        : `/settings/apps/${slug}`;
  return {
    fingerprint,
    url: `${webBaseOf(apiBaseUrl)}${path}`,
    instructions: `open the URL as an owner of ${app.ownerLogin}, scroll to "Private keys", click "Delete" on the key with fingerprint ${fingerprint} and confirm; then run \`connect-ops rotate-key --finish\``,
  };
}

/** Replication and include after a vault change; the nodes that did not converge (empty: all did, or none given). */
export async function spreadGeneration(
  ports: Pick<RotateKeyPorts, "replicate" | "include" | "crash">,
  crashPrefix: string,
): Promise<{ replicate?: ReplicateReport; include?: IncludeOutcome; pendingNodes: string[] }> {
  const replicate = await ports.replicate?.();
  const pendingNodes = (replicate?.nodes ?? [])
    .filter(
      (row) =>
        !(row.status === "updated" || row.status === "unchanged") || row.generationAfter !== replicate?.generation,
    )
    .map((row) => row.name);
  if (pendingNodes.length > 0) {
    return { ...(replicate === undefined ? {} : { replicate }), pendingNodes };
  }
  if (replicate !== undefined) ports.crash(`${crashPrefix}-replicated`);
  const include = await ports.include?.();
  if (include !== undefined) ports.crash(`${crashPrefix}-included`);
  return {
    ...(replicate === undefined ? {} : { replicate }),
    ...(include === undefined ? {} : { include }),
    pendingNodes,
  };
}
