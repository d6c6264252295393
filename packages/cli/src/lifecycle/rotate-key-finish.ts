import { usageError } from "../errors.js";
import type { IncludeOutcome } from "./backup-include.js";
import type { ReplicateReport } from "./replicate.js";
import { requireConnected } from "./require-connected.js";
import {
  keyDeletionStep,
  readRotateJournal,
  saveRotateJournal,
  spreadGeneration,
  type KeyDeletionStep,
  type RotateKeyJournal,
  type RotateKeyPorts,
} from "./rotate-key-journal.js";

export interface FinishRotationOutcome {
  readonly appId: number;
  readonly cloudUrl: string;
  readonly activeFingerprint: string;
  /** Retiring keys the cloud refused (JWT → 401), dropped from the vault. */
  readonly removed: readonly string[];
  /** Retiring keys the cloud still accepts (200): kept; a person must delete them first. */
  readonly stillAccepted: readonly KeyDeletionStep[];
  readonly generation: number;
  readonly replicate?: ReplicateReport;
  readonly include?: IncludeOutcome;
  readonly pendingNodes: readonly string[];
  readonly completed: boolean;
}

/**
 * `rotate-key --finish`: proves each retiring key is refused by the cloud (a JWT signed with it → 401; a 200 means the
 * key was not deleted yet: it is kept) and only then removes it from the vault as a new generation, replicated and
 * included like the rotation. The retired key's fingerprint set stays in the vault's meta, so `backup scan` and
 * `verify-cleanup` still find it in old snapshots. Nothing retiring and nothing left to spread: exit 2.
 */
export async function finishKeyRotation(ports: RotateKeyPorts): Promise<FinishRotationOutcome> {
  const vaultLib = await import("@connect-ops/credential-vault");
  const appliance = await ports.openAppliance();
  const meta = requireConnected(await appliance.vault.readVerifiedMeta(), appliance.stateDir);
  const appId = requireConnected(meta.appId, appliance.stateDir);
  const cloudUrl = requireConnected(meta.cloudUrl, appliance.stateDir);
  const journal = await readRotateJournal(appliance.journalDir);
  const retiring = meta.retiringKeyFingerprints ?? [];
  // A run killed after the drop committed: nothing retiring any more, but the nodes and the snapshot may not hold it.
  const unfinished =
    journal !== undefined && journal.finishedAt === undefined && journal.activeFingerprint === meta.keyFingerprint;
  const client = await ports.cloud(cloudUrl);
  if (retiring.length === 0 && !unfinished && journal?.finishedAt !== undefined) {
    // A re-run after the finish completed (the operator could not tell whether a killed run got there): done.
    return {
      appId,
      cloudUrl: client.baseUrl,
      activeFingerprint: meta.keyFingerprint ?? "",
      removed: [],
      stillAccepted: [],
      generation: meta.generation,
      pendingNodes: [],
      completed: true,
    };
  }
  if (retiring.length === 0 && !unfinished) {
    throw usageError(
      `no App key is retiring in ${appliance.stateDir}: there is no rotation to finish`,
      "start one with `connect-ops rotate-key --new-key FILE`",
    );
  }
  const now = () => new Date(ports.now()).toISOString();
  let record: RotateKeyJournal | undefined = journal;
  const step = async (name: keyof RotateKeyJournal["steps"]): Promise<void> => {
    if (record === undefined) return;
    record = { ...record, steps: { ...record.steps, [name]: now() } };
    await saveRotateJournal(appliance.journalDir, record);
    ports.crash(`rotate-key:${name}`);
  };

  const refused: string[] = [];
  const stillAccepted: KeyDeletionStep[] = [];
  if (retiring.length > 0) {
    const opened = await appliance.vault.open(appliance.identities);
    const active = await client.probeAppKey({ appId, privateKeyPem: opened.bundle.app.privateKeyPem });
    if (!active.accepted) {
      throw usageError(
        `the cloud refuses the active key ${meta.keyFingerprint ?? "?"} too (GET /app answered 401): the retiring key is kept`,
        "check the App's settings page: the key rotate-key sealed must not be deleted; generate a new one and run rotate-key --new-key FILE",
      );
    }
    for (const key of opened.bundle.retiringKeys ?? []) {
      const probe = await client.probeAppKey({ appId, privateKeyPem: key.privateKeyPem });
      if (probe.accepted) stillAccepted.push(keyDeletionStep(client.baseUrl, probe.app, key.fingerprint));
      else refused.push(key.fingerprint);
    }
    if (refused.length > 0) await step("oldKeyRefused");
    if (refused.length > 0) {
      await vaultLib.dropRetiringKeys(appliance.vault, appliance.identities, appliance.recipients, refused);
      await step("dropped");
    }
  }
  const spread =
    refused.length > 0 || retiring.length === 0
      ? await spreadGeneration(ports, "rotate-key:finish")
      : { pendingNodes: [] as string[] };
  const completed = stillAccepted.length === 0 && spread.pendingNodes.length === 0;
  if (completed && record !== undefined) {
    record = { ...record, finishedAt: now() };
    await saveRotateJournal(appliance.journalDir, record);
  }
  const after = requireConnected(await appliance.vault.readMeta(), appliance.stateDir);
  return {
    appId,
    cloudUrl: client.baseUrl,
    activeFingerprint: after.keyFingerprint ?? "",
    removed: refused,
    stillAccepted,
    generation: after.generation,
    ...("replicate" in spread && spread.replicate !== undefined ? { replicate: spread.replicate } : {}),
    ...("include" in spread && spread.include !== undefined ? { include: spread.include } : {}),
    pendingNodes: spread.pendingNodes,
    completed,
  };
}
