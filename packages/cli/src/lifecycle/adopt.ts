import type { AppAuth, CloudClient } from "@connect-ops/connection-core";
import { randomBytes } from "node:crypto";
import { open, readFile, unlink } from "node:fs/promises";
import { usageError } from "../errors.js";
import { readArgumentFile } from "../flows/argument-file.js";
import { readJournal, writeJournal } from "../flows/journal-file.js";
import type { ApplianceConnectPorts } from "./connect.js";
import { sealMintedToken } from "./seal-token.js";

export interface AdoptRequest {
  readonly cloudUrl: string;
  readonly appId: string;
  /** Exactly one of them: the installation's id, or the account (`organization:LOGIN`) to find it on. */
  readonly installationId: string | undefined;
  readonly account: string | undefined;
  /** The PEM file as typed (for messages) and resolved. */
  readonly privateKeyFile: string;
  readonly privateKeyPath: string;
  readonly removeSource: boolean;
}

export interface AdoptOutcome {
  readonly cloudUrl: string;
  readonly appId: number;
  readonly appSlug: string;
  readonly owner: string;
  readonly installationId: number;
  readonly tokenExpiresAt: string;
  /** False unless --remove-source overwrote and unlinked the PEM file. */
  readonly sourceRemoved: boolean;
  readonly sourceFile: string;
}

/** The adopt journal (`<state>/journal/adopt.json`): ids only, nothing secret. */
interface AdoptJournal {
  readonly format: "connect-ops/adopt-journal@1";
  readonly cloudUrl: string;
  readonly appId: number;
  readonly appSlug: string;
  readonly installationId: number;
  readonly completedAt: string;
}

function positiveId(value: string, flag: string): number {
  const id = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(id) || id <= 0) {
    throw usageError(`${flag} "${value}" is not a positive integer`, `pass the numeric id, e.g. ${flag} 123456`);
  }
  return id;
}

type InstallationTarget =
  | { readonly kind: "id"; readonly id: number }
  | { readonly kind: "account"; readonly spec: string; readonly login: string };

/** `--installation-id M` or `--account TYPE:LOGIN`: exactly one. */
function installationTarget(request: AdoptRequest): InstallationTarget {
  if ((request.installationId === undefined) === (request.account === undefined)) {
    throw usageError(
      "adopt needs exactly one of --installation-id and --account",
      "pass --account organization:LOGIN (the App's installation on that account is found with its JWT), or --installation-id ID",
    );
  }
  if (request.installationId !== undefined) {
    return { kind: "id", id: positiveId(request.installationId, "--installation-id") };
  }
  const spec = request.account ?? "";
  const match = /^(organization|enterprise|user):([A-Za-z0-9][A-Za-z0-9-]{0,38})$/.exec(spec);
  if (match?.[2] === undefined) {
    throw usageError(
      `--account "${spec}" is not organization:LOGIN, enterprise:SLUG or user:LOGIN`,
      "pass e.g. --account organization:acme-ops",
    );
  }
  return { kind: "account", spec, login: match[2] };
}

/** The App's installation, checked (by id) or found (`GET /app/installations`, by account) with the App's JWT. */
async function findAdoptedInstallation(
  client: CloudClient,
  auth: AppAuth,
  slug: string,
  target: InstallationTarget,
): Promise<number> {
  if (target.kind === "account") {
    const found = await client.findInstallation(auth, target.login);
    if (found === undefined) {
      throw usageError(
        `the App ${slug} has no installation on ${target.spec} at ${client.baseUrl}`,
        "install the App on that account (its settings page → Install App), or check --account",
      );
    }
    return found;
  }
  if ((await client.lookInstallation(auth, target.id)) !== "exists") {
    throw usageError(
      `installation ${target.id} is not an installation of app ${slug} at ${client.baseUrl}`,
      "pass the id from the App's settings page (Install App → the gear's URL ends in /installations/ID), or --account TYPE:LOGIN",
    );
  }
  return target.id;
}

/** Overwrites the PEM file with zeros, syncs it, then unlinks it. */
async function removeSource(path: string, size: number, crash: (point: string) => void): Promise<void> {
  const handle = await open(path, "r+");
  try {
    await handle.write(Buffer.alloc(size), 0, size, 0);
    await handle.sync();
  } finally {
    await handle.close();
  }
  crash("adopt:source-overwritten");
  await unlink(path);
}

/**
 * `--remove-source` again after a run that sealed everything and had begun removing the PEM (killed during the
 * overwrite or after the unlink, or simply run twice): the file is gone or starts with our zeros (a PEM never
 * does), and the journal and vault say this App is adopted. Then the removal is finished (unlink) and the sealed
 * key proven against the cloud, instead of refusing a file that is no PEM any more. Undefined: the normal path.
 */
async function finishRemoval(
  ports: ApplianceConnectPorts,
  request: AdoptRequest,
  appId: number,
): Promise<AdoptOutcome | undefined> {
  let source: "gone" | "zeroed";
  try {
    const bytes = await readFile(request.privateKeyPath);
    if (bytes.length === 0 || bytes[0] !== 0) return undefined;
    source = "zeroed";
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") return undefined;
    source = "gone";
  }
  const client = await ports.cloud(request.cloudUrl);
  const appliance = await ports.openAppliance();
  const held = await appliance.vault.readMeta();
  const journal = await readJournal<AdoptJournal>(appliance.journalDir, "adopt");
  const adopted =
    held?.appId === appId &&
    held.cloudUrl === client.baseUrl &&
    held.tokenExpiresAt !== undefined &&
    journal?.appId === appId &&
    journal.cloudUrl === client.baseUrl;
  if (!adopted || held.tokenExpiresAt === undefined) return undefined;
  const { bundle } = await appliance.vault.open(appliance.identities);
  const probe = await client.probeAppKey({ appId, privateKeyPem: bundle.app.privateKeyPem });
  if (!probe.accepted || probe.app.appId !== appId) {
    throw usageError(
      `app ${appId} is adopted in this state dir, but the cloud at ${client.baseUrl} refuses its sealed key (GET /app with its JWT answered 401)`,
      "the key was deleted on the App's settings page: generate a new one and run `connect-ops rotate-key --new-key FILE`",
    );
  }
  if (source === "zeroed") await unlink(request.privateKeyPath);
  return {
    cloudUrl: client.baseUrl,
    appId,
    appSlug: journal.appSlug,
    owner: `${probe.app.ownerType}:${probe.app.ownerLogin}`,
    installationId: journal.installationId,
    tokenExpiresAt: held.tokenExpiresAt,
    sourceRemoved: true,
    sourceFile: request.privateKeyFile,
  };
}

/**
 * Takes over an App made elsewhere (the settings page, GHES, another tool): checks every input and the key against
 * the cloud (the App's JWT → `GET /app` answers this app id; the installation is the App's) before anything is
 * written, then mints the first token and seals key and token in the vault. A wrong key, app id or installation,
 * a revoked key or a file that is not a PEM RSA key: exit 2, nothing written.
 */
export async function adoptApp(ports: ApplianceConnectPorts, request: AdoptRequest): Promise<AdoptOutcome> {
  const appId = positiveId(request.appId, "--app-id");
  const target = installationTarget(request);
  if (request.removeSource) {
    const finished = await finishRemoval(ports, request, appId);
    if (finished !== undefined) return finished;
  }
  const bytes = await readArgumentFile({
    path: request.privateKeyPath,
    given: request.privateKeyFile,
    kind: "private-key",
    what: "the App's private key",
    hint: "pass the PEM file GitHub downloaded when the key was generated (Private keys → Generate a private key)",
  });
  const privateKeyPem = bytes.toString("utf8");
  if (!/^-----BEGIN (RSA )?PRIVATE KEY-----/.test(privateKeyPem.trimStart())) {
    throw usageError(
      `${request.privateKeyFile} is not a PEM private key (it must start with -----BEGIN RSA PRIVATE KEY-----)`,
      "pass the .pem file GitHub downloaded for this App",
    );
  }
  const client = await ports.cloud(request.cloudUrl);
  const auth = { appId, privateKeyPem };
  const probe = await client.probeAppKey(auth);
  if (!probe.accepted || probe.app.appId !== appId) {
    throw usageError(
      `the cloud at ${client.baseUrl} refused this key for app ${appId} (GET /app with its JWT answered 401): the key belongs to another App, the app id is wrong, or the key was deleted`,
      "check --app-id (the App's settings page, About → App ID) and pass a current private key of that App",
    );
  }
  const installationId = await findAdoptedInstallation(client, auth, probe.app.slug, target);
  const appliance = await ports.openAppliance();
  const { keyFingerprint } = await import("@connect-ops/connection-core");
  const held = await appliance.vault.readMeta();
  // A re-run after a crash finds this very key sealed (same cloud, app id and key fingerprint) and
  // finishes from there; any other connection in the state dir is refused.
  const resuming =
    held !== undefined &&
    held.appId === appId &&
    held.cloudUrl === client.baseUrl &&
    held.keyFingerprint === keyFingerprint(privateKeyPem);
  if (held !== undefined && !resuming) {
    throw usageError(
      `this state dir (${appliance.stateDir}) already holds a connection`,
      "run `connect-ops disconnect` first, or use another --state-dir",
    );
  }
  const vaultLib = await import("@connect-ops/credential-vault");
  const token = await client.mintInstallationToken({ ...auth, slug: probe.app.slug }, installationId);
  if (!resuming) {
    await vaultLib.sealAppKey(appliance.vault, appliance.recipients, {
      cloudUrl: client.baseUrl,
      app: { appId, slug: probe.app.slug, clientId: probe.app.clientId, privateKeyPem },
      saltBytes: randomBytes(16),
    });
  }
  ports.crash("adopt:key-sealed");
  await sealMintedToken(appliance, installationId, token);
  ports.crash("adopt:token-sealed");
  const journal: AdoptJournal = {
    format: "connect-ops/adopt-journal@1",
    cloudUrl: client.baseUrl,
    appId,
    appSlug: probe.app.slug,
    installationId,
    completedAt: new Date(ports.now()).toISOString(),
  };
  await writeJournal(appliance.journalDir, "adopt", journal);
  ports.crash("adopt:journaled");
  if (request.removeSource) await removeSource(request.privateKeyPath, bytes.length, ports.crash);
  return {
    cloudUrl: client.baseUrl,
    appId,
    appSlug: probe.app.slug,
    owner: `${probe.app.ownerType}:${probe.app.ownerLogin}`,
    installationId,
    tokenExpiresAt: token.expiresAt,
    sourceRemoved: request.removeSource,
    sourceFile: request.privateKeyFile,
  };
}
