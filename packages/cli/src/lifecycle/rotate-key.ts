import { randomBytes } from "node:crypto";
import { usageError } from "../errors.js";
import { readArgumentFile } from "../flows/argument-file.js";
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

export interface RotateKeyRequest {
  /** The PEM file as typed (for messages) and resolved. */
  readonly newKeyFile: string;
  readonly newKeyPath: string;
}

export interface RotateKeyOutcome {
  readonly appId: number;
  readonly cloudUrl: string;
  readonly activeFingerprint: string;
  readonly retiringFingerprint: string;
  readonly generation: number;
  readonly tokenExpiresAt: string;
  readonly resumed: boolean;
  readonly replicate?: ReplicateReport;
  readonly include?: IncludeOutcome;
  /** Nodes that do not hold the new generation yet (re-run the same command). */
  readonly pendingNodes: readonly string[];
  /** The person's step: delete the old key on the settings page, then `rotate-key --finish`. */
  readonly pendingStep: KeyDeletionStep;
}

const PEM_START = /^-----BEGIN (RSA )?PRIVATE KEY-----/;

/** The new key's PEM, or `CLI_USAGE` (exit 2) when the file is not one. */
async function readNewKey(request: RotateKeyRequest): Promise<string> {
  const bytes = await readArgumentFile({
    path: request.newKeyPath,
    given: request.newKeyFile,
    kind: "private-key",
    what: "the new private key",
    hint: "generate a key on the App's settings page (Private keys → Generate a private key) and pass the downloaded .pem",
  });
  const pem = bytes.toString("utf8");
  bytes.fill(0);
  if (!PEM_START.test(pem.trimStart())) {
    throw usageError(
      `${request.newKeyFile} is not a PEM private key (it must start with -----BEGIN RSA PRIVATE KEY-----)`,
      "pass the .pem file GitHub downloaded when you generated the new key",
    );
  }
  return pem;
}

/**
 * Rotates the App key without downtime (issue 17): proves the new key authenticates as this App (its JWT → `GET /app`
 * answers this app id) before anything is written → seals a generation with the new key active and the old one
 * retiring → mints a token with the new key → replicates to every node and verifies → includes into the newest
 * snapshot → returns the settings-page step (delete the old key). Journaled; a re-run with the same key resumes.
 * Bad input (not a PEM, another App's key, the active key, not connected): exit 2, nothing written.
 */
export async function rotateAppKey(ports: RotateKeyPorts, request: RotateKeyRequest): Promise<RotateKeyOutcome> {
  const privateKeyPem = await readNewKey(request);
  const { keyFingerprint } = await import("@connect-ops/connection-core");
  const vaultLib = await import("@connect-ops/credential-vault");
  const newFingerprint = keyFingerprint(privateKeyPem);
  const appliance = await ports.openAppliance();
  const meta = requireConnected(await appliance.vault.readVerifiedMeta(), appliance.stateDir);
  const appId = requireConnected(meta.appId, appliance.stateDir);
  const cloudUrl = requireConnected(meta.cloudUrl, appliance.stateDir);
  const installationId = requireConnected(meta.installationId, appliance.stateDir);
  const journal = await readRotateJournal(appliance.journalDir);
  const resuming =
    meta.keyFingerprint === newFingerprint &&
    journal !== undefined &&
    journal.finishedAt === undefined &&
    journal.activeFingerprint === newFingerprint;
  if (meta.keyFingerprint === newFingerprint && !resuming) {
    throw usageError(
      `${request.newKeyFile} is the key the vault already uses (fingerprint ${newFingerprint})`,
      "generate a new key on the App's settings page (Private keys → Generate a private key) and pass that file",
    );
  }
  const stillRetiring = (meta.retiringKeyFingerprints ?? []).filter((fingerprint) => fingerprint !== newFingerprint);
  if (!resuming && (meta.retiringKeyFingerprints ?? []).length > 0) {
    throw usageError(
      `a previous rotation is not finished: key ${stillRetiring.join(", ") || newFingerprint} is still retiring`,
      "delete that key on the App's settings page and run `connect-ops rotate-key --finish` first",
    );
  }
  const client = await ports.cloud(cloudUrl);
  const probe = await client.probeAppKey({ appId, privateKeyPem });
  if (!probe.accepted || probe.app.appId !== appId) {
    throw usageError(
      `the cloud at ${client.baseUrl} refused ${request.newKeyFile} for app ${appId} (GET /app with its JWT answered 401): the key belongs to another App or was deleted`,
      "generate the key on this App's settings page (Private keys → Generate a private key) and pass the downloaded file",
    );
  }
  const now = () => new Date(ports.now()).toISOString();
  const retiringFingerprint = resuming
    ? journal.retiringFingerprint
    : requireConnected(meta.keyFingerprint, appliance.stateDir);
  let record: RotateKeyJournal = resuming
    ? journal
    : {
        format: "connect-ops/rotate-key-journal@1",
        cloudUrl: client.baseUrl,
        appId,
        activeFingerprint: newFingerprint,
        retiringFingerprint,
        startedAt: now(),
        steps: {},
      };
  const step = async (name: keyof RotateKeyJournal["steps"]): Promise<void> => {
    record = { ...record, steps: { ...record.steps, [name]: now() } };
    await saveRotateJournal(appliance.journalDir, record);
    ports.crash(`rotate-key:${name}`);
  };
  await step("proven");

  if (!resuming) {
    await vaultLib.sealRotatedKey(appliance.vault, appliance.identities, appliance.recipients, {
      privateKeyPem,
      expectedGeneration: meta.generation,
      saltBytes: randomBytes(16),
    });
    await step("sealed");
  }

  // The new key's fingerprint set starts without tokens: none there means no token minted with the new key is sealed.
  let sealed = requireConnected(await appliance.vault.readMeta(), appliance.stateDir);
  let tokenExpiresAt = sealed.tokenExpiresAt ?? "";
  if (sealed.residue?.keyFingerprint !== newFingerprint || sealed.residue.tokenHashes.length === 0) {
    const lock = await appliance.vault.lock();
    try {
      const opened = await appliance.vault.open(appliance.identities);
      const minted = await client.mintInstallationToken(
        { appId, privateKeyPem: opened.bundle.app.privateKeyPem, slug: opened.bundle.app.slug },
        installationId,
      );
      ports.crash("rotate-key:token-received");
      sealed = await vaultLib.commitToken(appliance.vault, lock, opened, appliance.recipients, {
        installationId,
        token: minted.token,
        expiresAt: minted.expiresAt,
      });
      tokenExpiresAt = minted.expiresAt;
    } finally {
      await lock.release();
    }
    await step("minted");
  }

  const spread = await spreadGeneration(ports, "rotate-key:new-key");
  if (spread.pendingNodes.length === 0) {
    if (spread.replicate !== undefined) await step("replicated");
    if (spread.include !== undefined) await step("included");
  }
  return {
    appId,
    cloudUrl: client.baseUrl,
    activeFingerprint: newFingerprint,
    retiringFingerprint,
    generation: sealed.generation,
    tokenExpiresAt,
    resumed: resuming,
    ...(spread.replicate === undefined ? {} : { replicate: spread.replicate }),
    ...(spread.include === undefined ? {} : { include: spread.include }),
    pendingNodes: spread.pendingNodes,
    pendingStep: keyDeletionStep(client.baseUrl, probe.app, retiringFingerprint),
  };
}
