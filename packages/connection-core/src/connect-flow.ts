import type { AppAuth, CloudClient, ConnectionRecordInput, ConvertedApp, MintedToken } from "./cloud/cloud-types.js";
import { CoreError } from "./errors.js";

/**
 * The connect journal (`<state>/journal/connect.json`): what the enable flow
 * has done so far, so a re-run after a crash resumes instead of repeating.
 * It holds no secret apart from the one-time manifest code, which is useless
 * once converted and expires after an hour.
 */
export interface ConnectJournal {
  readonly format: "connect-ops/connect-journal@1";
  readonly startedAt: string;
  readonly cloudUrl: string;
  readonly record: ConnectionRecordInput;
  readonly recordId?: number;
  readonly accountId?: number;
  readonly manifestCode?: string;
  readonly manifestCodeExpiresAt?: string;
  readonly appId?: number;
  readonly appSlug?: string;
  readonly installationId?: number;
  readonly orphansDeleted?: number;
  readonly completedAt?: string;
}

/** Where a test may inject a crash (the CLI maps these to SIGKILL). */
export type ConnectCheckpoint = "record-registered" | "app-created" | "key-sealed" | "token-sealed";

/** What is sealed in the vault, as far as connect needs to know. */
export interface SealedAppView extends AppAuth {
  readonly slug: string;
  readonly installationId: number | undefined;
}

export interface ConnectPorts {
  readonly client: CloudClient;
  readonly now: () => number;
  readonly loadJournal: () => Promise<ConnectJournal | undefined>;
  readonly saveJournal: (journal: ConnectJournal) => Promise<void>;
  /** The app sealed in the vault, or undefined (decrypts). */
  readonly sealedApp: () => Promise<SealedAppView | undefined>;
  /** Seals the new app's key at once: GitHub never shows it again. */
  readonly sealApp: (app: ConvertedApp, context: { recordId: number; accountId: number }) => Promise<void>;
  readonly sealToken: (installationId: number, token: MintedToken) => Promise<void>;
  readonly checkpoint?: (point: ConnectCheckpoint) => void | Promise<void>;
}

export interface ConnectOutcome {
  readonly recordId: number;
  readonly appId: number;
  readonly appSlug: string;
  readonly installationId: number;
  readonly tokenExpiresAt: string;
  readonly resumed: boolean;
  readonly alreadyConnected: boolean;
  readonly orphansDeleted: number;
}

function sameTarget(journal: ConnectJournal, cloudUrl: string, record: ConnectionRecordInput): boolean {
  return (
    journal.cloudUrl === cloudUrl &&
    journal.record.hostname === record.hostname &&
    journal.record.licenseHash === record.licenseHash &&
    journal.record.account.type === record.account.type &&
    journal.record.account.login === record.account.login
  );
}

/**
 * The enable flow of GitHub Connect, journaled: register the connection
 * record, create the app from the record's manifest code and seal its key,
 * find the installation, mint and seal the first token. Re-running resumes
 * after the last recorded step. An app whose key was lost (a crash between
 * the conversion and the seal) is an orphan: its record is deleted (the cloud
 * deletes the app with it) and a new one is registered, so exactly one app
 * remains. Throws `CONNECT_STATE_INVALID` when a different connection exists.
 */
export async function runConnect(
  cloudUrl: string,
  record: ConnectionRecordInput,
  ports: ConnectPorts,
): Promise<ConnectOutcome> {
  const checkpoint = ports.checkpoint ?? (() => undefined);
  const existing = await ports.loadJournal();
  if (existing !== undefined && !sameTarget(existing, cloudUrl, record)) {
    const state = existing.completedAt ? "is connected" : "has an unfinished connect";
    throw new CoreError(
      "CONNECT_STATE_INVALID",
      `this state dir ${state} for ${existing.record.hostname} → ${existing.record.account.type}:${existing.record.account.login} at ${existing.cloudUrl}`,
      {
        category: "input",
        hint: existing.completedAt
          ? "run `connect-ops disconnect` first"
          : "re-run connect with the same flags to finish it, or disconnect to abandon it",
      },
    );
  }
  let journal: ConnectJournal = existing ?? {
    format: "connect-ops/connect-journal@1",
    startedAt: new Date(ports.now()).toISOString(),
    cloudUrl,
    record,
  };
  const resumed = existing !== undefined;
  const save = async (changes: Partial<ConnectJournal>) => {
    journal = { ...journal, ...changes };
    await ports.saveJournal(journal);
  };
  // Nothing is journaled until the cloud holds something: a run that fails
  // before (bad URL, unreachable cloud) leaves no state to trip over.

  let sealed = await ports.sealedApp();
  if (journal.completedAt !== undefined && sealed?.installationId !== undefined) {
    return outcome(journal, sealed.installationId, "", { resumed, alreadyConnected: true });
  }

  if (sealed === undefined) {
    const register = async () => {
      const registered = await ports.client.registerConnection(record);
      await save({
        recordId: registered.recordId,
        accountId: registered.account.id,
        manifestCode: registered.manifestCode,
        manifestCodeExpiresAt: registered.manifestCodeExpiresAt,
      });
      await checkpoint("record-registered");
    };
    if (journal.recordId === undefined) await register();
    else {
      const onCloud = await ports.client.getConnectionRecord(journal.recordId);
      if (onCloud === undefined) await register();
      else if (onCloud.appId !== undefined) {
        // An app exists for our record but its key never reached the vault.
        await ports.client.deleteConnectionRecord(journal.recordId);
        await save({ orphansDeleted: (journal.orphansDeleted ?? 0) + 1 });
        await register();
      } else if (journal.manifestCode === undefined || Date.parse(journal.manifestCodeExpiresAt ?? "") <= ports.now()) {
        const renewed = await ports.client.renewManifestCode(journal.recordId);
        await save({ manifestCode: renewed.manifestCode, manifestCodeExpiresAt: renewed.expiresAt });
      }
    }
    const app = await ports.client.convertManifest(journal.manifestCode as string);
    await checkpoint("app-created");
    await ports.sealApp(app, { recordId: journal.recordId as number, accountId: journal.accountId as number });
    await save({ appId: app.appId, appSlug: app.slug, manifestCode: undefined, manifestCodeExpiresAt: undefined });
    await checkpoint("key-sealed");
    sealed = { appId: app.appId, privateKeyPem: app.privateKeyPem, slug: app.slug, installationId: undefined };
  }

  const installationId = sealed.installationId ?? (await ports.client.findInstallation(sealed, record.account.login));
  if (installationId === undefined) {
    throw new CoreError(
      "CLOUD_NOT_FOUND",
      `the app ${sealed.slug} is not installed on ${record.account.type}:${record.account.login}`,
      {
        category: "incomplete",
        hint: "install the app on the account in the cloud's settings, then re-run connect",
      },
    );
  }
  const token = await ports.client.mintInstallationToken(sealed, installationId);
  await ports.sealToken(installationId, token);
  await checkpoint("token-sealed");
  await save({
    appId: sealed.appId,
    appSlug: sealed.slug,
    installationId,
    completedAt: new Date(ports.now()).toISOString(),
  });
  return outcome(journal, installationId, token.expiresAt, { resumed, alreadyConnected: false });
}

function outcome(
  journal: ConnectJournal,
  installationId: number,
  tokenExpiresAt: string,
  flags: { resumed: boolean; alreadyConnected: boolean },
): ConnectOutcome {
  return {
    recordId: journal.recordId as number,
    appId: journal.appId as number,
    appSlug: journal.appSlug as string,
    installationId,
    tokenExpiresAt,
    orphansDeleted: journal.orphansDeleted ?? 0,
    ...flags,
  };
}
