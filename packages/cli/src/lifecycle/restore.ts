import { openSnapshot, readIncludedCredentials } from "@connect-ops/backup-hooks";
import { deriveResidueFingerprints, keyFingerprint, withTokenFingerprint } from "@connect-ops/connection-core";
import {
  openSealedBytes,
  readEnrolledNodes,
  readIdentityFile,
  recordEnrolledNodes,
  tokenCacheKey,
  type CredentialsBundle,
} from "@connect-ops/credential-vault";
import { ReplicationError, type NodeProbe } from "@connect-ops/replication";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import type { CredentialVault } from "@connect-ops/credential-vault";
import type { ResidueFingerprints } from "@connect-ops/connection-core";
import { usageError } from "../errors.js";
import { parseBackupCredentials, type BackupCredentials } from "../flows/backup-bundle.js";
import type { CloudClientFactory, CrashHook } from "./ports.js";
import { checkConnectionOnCloud, type CloudCheck } from "./restore-cloud-check.js";

/** What a restore touches: this appliance's vault and recipients, the cloud the snapshot names. */
export interface RestorePorts {
  readonly vault: CredentialVault;
  readonly stateDir: string;
  /** The appliance's own recipient first, then recovery recipients: the restored key is sealed to them. */
  readonly recipients: readonly string[];
  readonly cloud: CloudClientFactory;
  readonly crash: CrashHook;
  /** This machine's hostname (the default target when neither the flag nor the vault names one). */
  readonly hostname: () => string;
  /**
   * Probes the nodes the operator named (`--inventory`): the restored
   * generation goes above every one they hold, so `replicate` converges at once.
   */
  readonly nodeGenerations?: () => Promise<NodeProbe[]>;
}

export interface RestoreRequest {
  /** The snapshot dir, resolved. */
  readonly snapshot: string;
  /** The backup identity file, resolved. */
  readonly identityFile: string;
  /** This appliance's hostname; default: the vault's record, else the OS hostname. */
  readonly hostname?: string | undefined;
  readonly keepConnect: boolean;
  /** Replace a vault that holds another app; restore from an incomplete snapshot. */
  readonly force: boolean;
}

interface RestoreBase {
  readonly snapshot: string;
  readonly appId: number;
  readonly appSlug: string;
  readonly snapshotHostname: string | null;
  readonly targetHostname: string;
  readonly sameAppliance: boolean;
}

export type RestoreOutcome =
  | (RestoreBase & {
      readonly outcome: "restored";
      readonly recordId: number | null;
      readonly installationId: number;
      readonly tokenExpiresAt: string;
      readonly generation: number;
      /** The highest generation the snapshot and the probed nodes held: the restored one is above it. */
      readonly generationAbove: number;
      readonly keptConnect: boolean;
      /** Nodes the snapshot had enrolled that this state dir now records too. */
      readonly enrolledNodes: readonly string[];
    })
  | (RestoreBase & { readonly outcome: "reset" })
  | (RestoreBase & {
      readonly outcome: "refused";
      readonly reason: Exclude<CloudCheck, { ok: true }>["reason"];
      readonly message: string;
    });

async function openBackupDocument(
  request: RestoreRequest,
): Promise<{ snapshotPath: string; document: BackupCredentials; snapshotGeneration: number }> {
  const snapshot = await openSnapshot(request.snapshot, { force: request.force });
  const included = await readIncludedCredentials(snapshot.path);
  if (included === undefined) {
    throw usageError(
      `snapshot ${snapshot.id} holds no sealed GitHub Connect credentials (github-connect/credentials.age)`,
      "it was redacted or `connect-ops backup include` never ran for it; pick a snapshot that has them, or run `connect-ops connect` to create a new connection",
    );
  }
  const identities = await readIdentityFile(request.identityFile);
  const source = join(snapshot.path, "github-connect", "credentials.age");
  const plaintext = await openSealedBytes(included.sealed, identities, included.manifest.recipients, source);
  let document: BackupCredentials;
  try {
    document = parseBackupCredentials(plaintext, source);
  } finally {
    plaintext.fill(0);
  }
  if (keyFingerprint(document.credentials.app.privateKeyPem) !== included.manifest.keyFingerprint) {
    throw usageError(
      `${source} does not hold the key its manifest.json names (${included.manifest.keyFingerprint})`,
      "the snapshot's github-connect/ files were mixed up; include the credentials again from the appliance",
    );
  }
  return { snapshotPath: snapshot.path, document, snapshotGeneration: included.manifest.generation };
}

/**
 * The generation the restore must go above: the snapshot's and every probed
 * node's. A node that cannot be probed stops the restore before anything is
 * written (exit 3: its generation is unknown, so convergence could not be promised).
 */
async function generationFloor(ports: RestorePorts, snapshotGeneration: number): Promise<number> {
  if (ports.nodeGenerations === undefined) return snapshotGeneration;
  const probes = await ports.nodeGenerations();
  const unknown = probes.filter((probe) => probe.status === "unreachable" || probe.status === "failed");
  if (unknown.length > 0) {
    throw new ReplicationError(
      "REPL_NOT_CONVERGED",
      `could not read the generation held by ${unknown.map((probe) => `${probe.name} (${probe.error?.code ?? "error"})`).join(", ")}; nothing was restored`,
      {
        category: "incomplete",
        hint: "make the nodes reachable and run the restore again, or leave them out with --nodes",
      },
    );
  }
  return Math.max(snapshotGeneration, ...probes.map((probe) => probe.generation ?? 0));
}

async function refuseAnotherApp(vault: CredentialVault, document: BackupCredentials, force: boolean): Promise<void> {
  const meta = await vault.readMeta();
  const app = document.credentials.app;
  if (meta?.appId === undefined || force) return;
  if (meta.appId !== app.appId || meta.cloudUrl !== document.credentials.cloudUrl) {
    throw usageError(
      `${vault.dir} holds another connection (app ${meta.appSlug ?? meta.appId} at ${meta.cloudUrl ?? "?"}); the snapshot holds app ${app.slug} (id ${app.appId})`,
      "restore into a fresh state dir (`connect-ops --state-dir DIR init`), or pass --force to replace it (its credentials are then only in the snapshots that include them)",
    );
  }
}

/**
 * Restores the Connect credentials of a snapshot into this appliance's vault.
 * Like ghe-restore, a different appliance (hostname differs from the record)
 * resets Connect unless `keepConnect`: nothing is sealed and the operator
 * connects afresh. Otherwise the cloud must still hold the app, record and
 * installation, and a newly minted token proves the key; only then is the
 * key sealed (with that token) to this appliance's recipients.
 * Throws usage errors for bad input; a connection gone from the cloud is a
 * `refused` outcome (exit 1).
 */
export async function restoreFromSnapshot(ports: RestorePorts, request: RestoreRequest): Promise<RestoreOutcome> {
  const { vault } = ports;
  const { snapshotPath, document, snapshotGeneration } = await openBackupDocument(request);
  const bundle = document.credentials;
  const local = await vault.readMeta();
  const targetHostname = request.hostname ?? local?.record?.hostname ?? ports.hostname();
  const snapshotHostname = document.record?.hostname ?? null;
  const base: RestoreBase = {
    snapshot: snapshotPath,
    appId: bundle.app.appId,
    appSlug: bundle.app.slug,
    snapshotHostname,
    targetHostname,
    sameAppliance: snapshotHostname === null || snapshotHostname.toLowerCase() === targetHostname.toLowerCase(),
  };
  if (!base.sameAppliance && !request.keepConnect) return { ...base, outcome: "reset" };
  await refuseAnotherApp(vault, document, request.force);

  const generationAbove = await generationFloor(ports, snapshotGeneration);
  const check = await checkConnectionOnCloud(ports.cloud, document);
  if (!check.ok) return { ...base, outcome: "refused", reason: check.reason, message: check.message };
  ports.crash("restore-token-minted");

  const lock = await vault.lock();
  try {
    const current = await vault.readMeta();
    await refuseAnotherApp(vault, document, request.force);
    const restored: CredentialsBundle = {
      format: "connect-ops/credentials@1",
      cloudUrl: bundle.cloudUrl,
      app: bundle.app,
      installationId: check.installationId,
      token: {
        value: check.token.token,
        expiresAt: check.token.expiresAt,
        cacheKey: tokenCacheKey(bundle.cloudUrl, bundle.app.appId, check.installationId),
      },
    };
    // Keep the snapshot's residue fingerprints (tokens minted before it stay recognisable), plus the new token.
    const residue = withTokenFingerprint(
      document.residue ??
        deriveResidueFingerprints({
          appId: bundle.app.appId,
          privateKeyPem: bundle.app.privateKeyPem,
          tokens: [],
          saltBytes: randomBytes(16),
        }),
      check.token.token,
    );
    // Keys rotated out before the snapshot (and, restoring in place, since): old snapshots still scan as their residue.
    const retiredResidue = uniqueSets([...(document.retiredResidue ?? []), ...(current?.retiredResidue ?? [])]);
    // The snapshot's enrolled nodes stay enrolled: their identities are still on the nodes, their recipients join the seal.
    const known = new Set((await readEnrolledNodes(ports.stateDir)).map((node) => node.name));
    const carried = (document.enrolledNodes ?? []).filter((node) => !known.has(node.name));
    const enrolled =
      carried.length === 0
        ? await readEnrolledNodes(ports.stateDir)
        : await recordEnrolledNodes(ports.stateDir, carried);
    const meta = await vault.commit(lock, {
      bundle: restored,
      recipients: [...new Set([...ports.recipients, ...enrolled.map((node) => node.recipient)])],
      expectedGeneration: current?.generation ?? null,
      generationAbove,
      metaFields: {
        cloudUrl: bundle.cloudUrl,
        appId: bundle.app.appId,
        appSlug: bundle.app.slug,
        installationId: check.installationId,
        keyFingerprint: keyFingerprint(bundle.app.privateKeyPem),
        tokenExpiresAt: check.token.expiresAt,
        ...(document.recordId === undefined ? {} : { recordId: document.recordId }),
        ...(document.record === undefined ? {} : { record: document.record }),
        residue,
        ...(retiredResidue.length === 0 ? {} : { retiredResidue }),
      },
    });
    return {
      ...base,
      outcome: "restored",
      recordId: document.recordId ?? null,
      installationId: check.installationId,
      tokenExpiresAt: check.token.expiresAt,
      generation: meta.generation,
      generationAbove,
      keptConnect: !base.sameAppliance,
      enrolledNodes: carried.map((node) => node.name),
    };
  } finally {
    await lock.release();
  }
}

/** Fingerprint sets without repeats (the same set carried by the snapshot and the vault restored over). */
function uniqueSets(sets: readonly ResidueFingerprints[]): ResidueFingerprints[] {
  const seen = new Set<string>();
  return sets.filter((set) => {
    const key = JSON.stringify(set);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
