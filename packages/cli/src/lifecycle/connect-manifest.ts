import type { AppAuth, CloudClient, ConvertedApp } from "@connect-ops/connection-core";
import { randomBytes } from "node:crypto";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { CliError, usageError } from "../errors.js";
import { manifestFormPage, startManifestCallback } from "../flows/manifest-callback.js";
import { readJournal, writeJournal } from "../flows/journal-file.js";
import { webBaseOf } from "./app-settings-page.js";
import type { CloudClientFactory, CrashHook, OpenedAppliance } from "./ports.js";
import { sealMintedToken } from "./seal-token.js";

/** What `connect --manifest` touches. */
export interface ManifestConnectPorts {
  readonly openAppliance: () => Promise<OpenedAppliance>;
  readonly cloud: CloudClientFactory;
  readonly now: () => number;
  /** The injected Clock's sleep: the `--timeout` wait (rejects with the signal's reason when aborted). */
  readonly sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  readonly crash: CrashHook;
  /** Tells the person which URL to open (stderr: stdout stays the one result document). */
  readonly announce: (pageUrl: string) => void;
  /** Opens a browser on the URL (`--open`); says so on stderr when none can be started. */
  readonly openBrowser?: (pageUrl: string) => void;
}

export interface ManifestConnectRequest {
  readonly cloudUrl: string;
  readonly account: string;
  /** 0: any free port. */
  readonly callbackPort: number;
  readonly timeoutMs: number;
  /** `--discard-orphan`: forget a conversion that was started and never sealed (its App deleted by a person), start over. */
  readonly discardOrphan?: boolean;
}

export interface ManifestConnectOutcome {
  readonly cloudUrl: string;
  readonly appId: number;
  readonly appSlug: string;
  readonly owner: string;
  readonly installationId: number;
  readonly tokenExpiresAt: string;
  readonly resumed: boolean;
  readonly alreadyConnected: boolean;
}

/**
 * The journal (`<state>/journal/connect-manifest.json`): ids only, never the code or the key. Written first as an
 * intent (`conversionStartedAt`, no ids) before the one-time code is converted, then with the App's ids as soon as the
 * conversion answers (before the key is sealed), then completed. An intent whose key is not in the vault means the
 * cloud may hold an App nobody can take over (the code is spent, the key was shown once): an orphan.
 */
interface ManifestJournal {
  readonly format: "connect-ops/connect-manifest-journal@1";
  readonly cloudUrl: string;
  readonly account: string;
  /** The App's name as the manifest asked for it (how a person finds an orphan whose ids were never journaled). */
  readonly appName?: string;
  readonly conversionStartedAt?: string;
  readonly appId?: number;
  readonly appSlug?: string;
  readonly installationId?: number;
  readonly completedAt?: string;
}

const JOURNAL = "connect-manifest";
/** GitHub caps an App's name at 34 characters. */
const MAX_APP_NAME = 34;

function settingsPageFor(webBase: string, account: { type: string; login: string }): string {
  const owner = encodeURIComponent(account.login);
  return account.type === "enterprise"
    ? `${webBase}/enterprises/${owner}/settings/apps/new`
    : `${webBase}/organizations/${owner}/settings/apps/new`;
}

const appNameFor = (login: string): string => `connect-ops ${login}`.slice(0, MAX_APP_NAME);

/** The App's settings as GitHub's manifest parameters: private, no webhook, read-only metadata. */
function manifestFor(webBase: string, login: string, redirectUrl: string): Record<string, unknown> {
  return {
    name: appNameFor(login),
    url: webBase,
    description: "GitHub Connect credentials of a GitHub Enterprise Server appliance, managed by connect-ops",
    redirect_url: redirectUrl,
    public: false,
    hook_attributes: { url: webBase, active: false },
    default_permissions: { metadata: "read" },
  };
}

/** Where the account's Apps are listed (the orphan is found and deleted from there, or at its own settings page). */
function appsListPageFor(webBase: string, account: { type: string; login: string }): string {
  const owner = encodeURIComponent(account.login);
  return account.type === "enterprise"
    ? `${webBase}/enterprises/${owner}/settings/apps`
    : `${webBase}/organizations/${owner}/settings/apps`;
}

/** An intent without a sealed key: the App the spent code made (if the cloud got that far) cannot be taken over. */
function orphanError(
  journal: ManifestJournal,
  webBase: string,
  account: { type: string; login: string },
  stateDir: string,
): CliError {
  const owner = encodeURIComponent(account.login);
  const base = account.type === "enterprise" ? `/enterprises/${owner}` : `/organizations/${owner}`;
  const known = journal.appId !== undefined && journal.appSlug !== undefined;
  const page = known
    ? `${webBase}${base}/settings/apps/${encodeURIComponent(journal.appSlug)}/advanced`
    : appsListPageFor(webBase, account);
  const what = known
    ? `the cloud created the App ${journal.appSlug} (id ${String(journal.appId)}) of ${account.login}`
    : `the cloud may have created an App named "${journal.appName ?? appNameFor(account.login)}" of ${account.login} (the run was killed before the cloud's answer was recorded)`;
  return new CliError(
    "CLI_MANIFEST_ORPHAN_APP",
    `an App-manifest conversion started at ${journal.conversionStartedAt ?? "an unknown time"} (state dir ${stateDir}) never sealed its key: ${what}, and its key was shown only once; this run cannot take it over and did not create another`,
    {
      category: "incomplete",
      hint: `open ${page} as an owner of ${account.login}, delete that App (Advanced, "Delete GitHub App"; if it is not listed, none was created), then run \`connect-ops connect --manifest --discard-orphan\` with the same --cloud-url and --account; see docs/runbooks/connect-manifest-orphan.md`,
    },
  );
}

/** Serves the page, waits for the callback (or the timeout), and returns the checked code. Writes nothing. */
async function receiveManifestCode(
  ports: ManifestConnectPorts,
  client: CloudClient,
  account: { type: string; login: string },
  request: ManifestConnectRequest,
): Promise<string> {
  const state = randomBytes(24).toString("base64url");
  const webBase = webBaseOf(client.baseUrl);
  const action = `${settingsPageFor(webBase, account)}?state=${encodeURIComponent(state)}`;
  await using callback = await startManifestCallback({
    port: request.callbackPort,
    state,
    page: (redirectUrl) => manifestFormPage(action, manifestFor(webBase, account.login, redirectUrl), state),
  }).catch((error: unknown) => {
    throw usageError(
      `cannot listen on 127.0.0.1:${request.callbackPort} for GitHub's redirect (${(error as NodeJS.ErrnoException).code ?? "error"})`,
      "pass a free port with --callback-port, or leave it out to take any free port",
      error,
    );
  });
  ports.announce(callback.pageUrl);
  ports.openBrowser?.(callback.pageUrl);
  const timer = new AbortController();
  const timedOut = ports.sleep(request.timeoutMs, timer.signal).then(
    () => "timeout" as const,
    () => "aborted" as const,
  );
  const outcome = await Promise.race([callback.outcome, timedOut]);
  timer.abort();
  if (outcome === "timeout" || outcome === "aborted") {
    throw new CliError(
      "CLI_MANIFEST_TIMEOUT",
      `nobody completed the App-manifest flow within ${Math.round(request.timeoutMs / 1000)} s (${callback.pageUrl} was not followed back to the callback): nothing was created or written`,
      {
        category: "incomplete",
        hint: "run the command again and open the printed URL in a browser signed in as an owner of the account (or pass --timeout with more time)",
      },
    );
  }
  if (outcome.kind === "state-mismatch") {
    throw new CliError(
      "CLI_MANIFEST_STATE_MISMATCH",
      "the callback's state does not match the one this run sent: refused (a stale tab or a forged request), nothing was converted or written",
      { category: "input", hint: "run the command again and follow the URL it prints, in one browser tab" },
    );
  }
  if (outcome.kind === "denied") {
    throw usageError(
      "the cloud redirected back without a code: nothing was created or written",
      "run the command again and click Create GitHub App on the page",
    );
  }
  return outcome.code;
}

/**
 * `connect --manifest`: the App-manifest flow for clouds without Connect records (github.com). A local page posts the
 * manifest to the account's settings page; GitHub's redirect brings back a one-time code (its `state` checked);
 * the conversion's key is sealed before anything else, then the installation is found and the first token minted and
 * sealed. Journaled: a re-run after a crash or a missing installation finishes from the sealed key. `client_secret`
 * and `webhook_secret` are dropped unused (connect-ops needs neither) and never printed or written.
 */
export async function connectViaManifest(
  ports: ManifestConnectPorts,
  request: ManifestConnectRequest,
): Promise<ManifestConnectOutcome> {
  const core = await import("@connect-ops/connection-core");
  const account = core.parseAccountSpec(request.account);
  if (account === undefined) {
    throw usageError(
      `--account "${request.account}" is not organization:LOGIN or enterprise:SLUG`,
      "pass e.g. --account organization:acme-ops",
    );
  }
  const client = await ports.cloud(request.cloudUrl);
  const appliance = await ports.openAppliance();
  const vaultLib = await import("@connect-ops/credential-vault");
  const held = await appliance.vault.readMeta();
  let journal = await readJournal<ManifestJournal>(appliance.journalDir, JOURNAL);
  let auth: AppAuth & { slug: string };
  let resumed = false;
  if (held !== undefined) {
    // A connection made by this flow, for this cloud and account, is finished from the sealed key; any other is
    // refused. No journal yet but a key without a token or record: killed between the seal and the journal write.
    // An intent journaled before the conversion carries no ids yet when the kill came before they were written.
    const journaled =
      journal !== undefined &&
      (journal.appId === held.appId || (journal.appId === undefined && journal.conversionStartedAt !== undefined)) &&
      journal.account === request.account;
    const killedBeforeJournal = journal === undefined && held.tokenExpiresAt === undefined;
    const ours = held.cloudUrl === client.baseUrl && held.recordId === undefined && (journaled || killedBeforeJournal);
    if (!ours) {
      throw usageError(
        `this state dir (${appliance.stateDir}) already holds a connection`,
        "run `connect-ops disconnect` first, or use another --state-dir",
      );
    }
    const { bundle } = await appliance.vault.open(appliance.identities);
    auth = { appId: bundle.app.appId, privateKeyPem: bundle.app.privateKeyPem, slug: bundle.app.slug };
    resumed = true;
    if (journal?.completedAt !== undefined && held.tokenExpiresAt !== undefined) {
      return outcomeOf(client, auth, account, journal.installationId ?? 0, held.tokenExpiresAt, true, true);
    }
  } else {
    const webBase = webBaseOf(client.baseUrl);
    if (journal !== undefined && journal.completedAt === undefined && request.discardOrphan !== true) {
      throw orphanError(journal, webBase, account, appliance.stateDir);
    }
    const code = await receiveManifestCode(ports, client, account, request);
    // The intent goes first: from the conversion on, the cloud holds an App whose key only this run will ever see.
    const intent: ManifestJournal = {
      format: "connect-ops/connect-manifest-journal@1",
      cloudUrl: client.baseUrl,
      account: request.account,
      appName: appNameFor(account.login),
      conversionStartedAt: new Date(ports.now()).toISOString(),
    };
    await writeJournal(appliance.journalDir, JOURNAL, intent);
    ports.crash("manifest:intent-journaled");
    let converted: ConvertedApp;
    try {
      converted = await client.convertManifest(code);
    } catch (error) {
      // The cloud refused the code (spent or expired): it made no App, so the intent goes. Any other failure (no
      // answer, a 5xx) may have come after the App was made: the intent stays and the next run names the orphan.
      if (core.isConnectOpsError(error) && error.code === "CLOUD_NOT_FOUND") {
        await rm(join(appliance.journalDir, `${JOURNAL}.json`), { force: true });
      }
      throw error;
    }
    ports.crash("manifest:converted");
    // The ids before the key: a kill during the seal leaves an orphan the next run can name.
    await writeJournal(appliance.journalDir, JOURNAL, { ...intent, appId: converted.appId, appSlug: converted.slug });
    ports.crash("manifest:ids-journaled");
    // GitHub shows the key only in this answer: sealed before anything else can fail.
    await vaultLib.sealAppKey(appliance.vault, appliance.recipients, {
      cloudUrl: client.baseUrl,
      app: {
        appId: converted.appId,
        slug: converted.slug,
        clientId: converted.clientId,
        privateKeyPem: converted.privateKeyPem,
      },
      saltBytes: randomBytes(16),
    });
    ports.crash("manifest:key-sealed");
    auth = { appId: converted.appId, privateKeyPem: converted.privateKeyPem, slug: converted.slug };
  }
  journal = {
    format: "connect-ops/connect-manifest-journal@1",
    cloudUrl: client.baseUrl,
    account: request.account,
    ...(journal?.appName === undefined ? {} : { appName: journal.appName }),
    ...(journal?.conversionStartedAt === undefined ? {} : { conversionStartedAt: journal.conversionStartedAt }),
    appId: auth.appId,
    appSlug: auth.slug,
  };
  await writeJournal(appliance.journalDir, JOURNAL, journal);
  const installationId = await client.findInstallation(auth, account.login);
  if (installationId === undefined) {
    throw new CliError(
      "CLI_MANIFEST_NOT_INSTALLED",
      `the App ${auth.slug} (id ${auth.appId}) is created and its key sealed, but it is not installed on ${account.login} yet`,
      {
        category: "incomplete",
        hint: `open ${webBaseOf(client.baseUrl)}/apps/${auth.slug}/installations/new, install it on ${account.login}, then run the same command again (it resumes)`,
      },
    );
  }
  const token = await client.mintInstallationToken(auth, installationId);
  await sealMintedToken(appliance, installationId, token);
  ports.crash("manifest:token-sealed");
  await writeJournal(appliance.journalDir, JOURNAL, {
    ...journal,
    installationId,
    completedAt: new Date(ports.now()).toISOString(),
  });
  return outcomeOf(client, auth, account, installationId, token.expiresAt, resumed, false);
}

function outcomeOf(
  client: CloudClient,
  auth: { appId: number; slug: string },
  account: { type: string; login: string },
  installationId: number,
  tokenExpiresAt: string,
  resumed: boolean,
  alreadyConnected: boolean,
): ManifestConnectOutcome {
  return {
    cloudUrl: client.baseUrl,
    appId: auth.appId,
    appSlug: auth.slug,
    owner: `${account.type}:${account.login}`,
    installationId,
    tokenExpiresAt,
    resumed,
    alreadyConnected,
  };
}
