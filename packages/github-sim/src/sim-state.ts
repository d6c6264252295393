import { randomBytes } from "node:crypto";
import { generateAppKey, MAX_APP_KEYS, type SimAppKey } from "./app-keys.js";
import { isoSeconds } from "./sim-context.js";
import { randomAlphanumeric } from "./tokens.js";

export type AccountType = "organization" | "enterprise";

export interface SimAccount {
  readonly type: AccountType;
  readonly login: string;
  readonly id: number;
}

export interface SimApp {
  readonly id: number;
  readonly slug: string;
  readonly name: string;
  readonly clientId: string;
  readonly nodeId: string;
  readonly owner: SimAccount;
  /** The App's private keys (public halves), by key id; a JWT signed by any of them authenticates. */
  readonly keys: Map<number, SimAppKey>;
  readonly createdAt: string;
  readonly recordId: number | undefined;
  /** Set by the `revokeApp` knob: the key is refused and its tokens stop working. */
  keyRevoked: boolean;
}

export interface SimInstallation {
  readonly id: number;
  readonly appId: number;
  readonly account: SimAccount;
  readonly createdAt: string;
}

export interface SimToken {
  readonly appId: number;
  readonly installationId: number;
  readonly expiresAtMs: number;
  revoked: boolean;
}

export interface SimRecord {
  readonly id: number;
  readonly hostname: string;
  readonly ghesVersion: string;
  readonly licensePublicKey: string;
  readonly licenseHash: string;
  readonly customerName: string;
  readonly account: SimAccount;
  readonly createdAt: string;
  appId: number | undefined;
}

interface ManifestCode {
  readonly expiresAtMs: number;
  readonly account: SimAccount;
  readonly recordId: number | undefined;
  /** The manifest's `name`, when the code came from the manifest flow's form. */
  readonly appName: string | undefined;
}

/** GitHub gives the manifest flow's code one hour before it must be converted. */
export const MANIFEST_CODE_TTL_MS = 60 * 60 * 1000;

/** A new App with its first key and its one installation. */
export interface CreatedApp {
  readonly app: SimApp;
  readonly installation: SimInstallation;
  readonly keyId: number;
  readonly pem: string;
}

/** The 201 body of a manifest conversion: the only time GitHub returns the key and secrets. */
export interface ConvertedApp extends CreatedApp {
  readonly clientSecret: string;
  readonly webhookSecret: string;
}

/** In-memory cloud state of the simulator: accounts, apps, installations, tokens (as digests), records. */
export class SimState {
  readonly accounts = new Map<string, SimAccount>();
  readonly apps = new Map<number, SimApp>();
  readonly installations = new Map<number, SimInstallation>();
  readonly tokens = new Map<string, SimToken>();
  readonly records = new Map<number, SimRecord>();
  readonly #codes = new Map<string, ManifestCode>();
  readonly #deletedSlugs = new Set<string>();
  #nextAccountId = 9_000_001;
  #nextAppId = 100_001;
  #nextInstallationId = 50_000_001;
  #nextRecordId = 1;
  #nextKeyId = 1;

  accountFor(type: AccountType, login: string): SimAccount {
    const key = `${type}:${login.toLowerCase()}`;
    let account = this.accounts.get(key);
    if (account === undefined) {
      account = { type, login, id: this.#nextAccountId++ };
      this.accounts.set(key, account);
    }
    return account;
  }

  createManifestCode(account: SimAccount, recordId: number | undefined, nowMs: number, appName?: string): string {
    const code = randomBytes(10).toString("hex");
    this.#codes.set(code, { expiresAtMs: nowMs + MANIFEST_CODE_TTL_MS, account, recordId, appName });
    return code;
  }

  /** Converts a single-use manifest code: creates the app with a fresh 2048-bit key and installs it on the owner. */
  async convertManifest(code: string, nowMs: number): Promise<ConvertedApp | undefined> {
    const entry = this.#codes.get(code);
    if (entry === undefined || nowMs >= entry.expiresAtMs) return undefined;
    this.#codes.delete(code);
    const record = entry.recordId === undefined ? undefined : this.records.get(entry.recordId);
    if (entry.recordId !== undefined && (record === undefined || record.appId !== undefined)) return undefined;
    const created = await this.createApp(entry.account, entry.recordId, nowMs, entry.appName);
    if (record !== undefined) record.appId = created.app.id;
    return {
      ...created,
      clientSecret: randomBytes(20).toString("hex"),
      webhookSecret: randomBytes(20).toString("hex"),
    };
  }

  /** Creates an App owned by `account` with one fresh key and one installation on that account. */
  async createApp(
    account: SimAccount,
    recordId: number | undefined,
    nowMs: number,
    name?: string,
  ): Promise<CreatedApp> {
    const key = await generateAppKey();
    const id = this.#nextAppId++;
    // GitHub slugs the name the person typed; the id keeps the sim's slugs unique (GitHub would ask for another name).
    const named = name
      ?.toLowerCase()
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^-+|-+$/g, "");
    const createdAt = isoSeconds(nowMs);
    const keyId = this.#nextKeyId++;
    const app: SimApp = {
      id,
      slug: named ? `${named}-${id}` : `ghes-connect-${account.login.toLowerCase()}-${id}`,
      name: name ?? `GHES Connect ${account.login} ${id}`,
      clientId: `Iv23li${randomAlphanumeric(14)}`,
      nodeId: Buffer.from(`App${id}`).toString("base64"),
      owner: account,
      keys: new Map([[keyId, { id: keyId, publicKey: key.publicKey, fingerprint: key.fingerprint }]]),
      createdAt,
      recordId,
      keyRevoked: false,
    };
    this.apps.set(id, app);
    const installation: SimInstallation = { id: this.#nextInstallationId++, appId: id, account, createdAt };
    this.installations.set(installation.id, installation);
    return { app, installation, keyId, pem: key.pem };
  }

  /** Generates another key for the App ("Generate a private key"); throws a RangeError at the 25-key limit. */
  async addKey(app: SimApp): Promise<{ keyId: number; pem: string; fingerprint: string }> {
    if (app.keys.size >= MAX_APP_KEYS) {
      throw new RangeError(`an App has at most ${MAX_APP_KEYS} private keys: delete one before generating another`);
    }
    const key = await generateAppKey();
    const keyId = this.#nextKeyId++;
    app.keys.set(keyId, { id: keyId, publicKey: key.publicKey, fingerprint: key.fingerprint });
    return { keyId, pem: key.pem, fingerprint: key.fingerprint };
  }

  /** Deletes one key ("Delete" under Private keys). False when the App has no such key; throws for the last one. */
  deleteKey(app: SimApp, keyId: number): boolean {
    if (!app.keys.has(keyId)) return false;
    if (app.keys.size === 1) {
      throw new RangeError("this is the App's only private key: generate a new one before deleting it");
    }
    return app.keys.delete(keyId);
  }

  findAppByIssuer(issuer: string): SimApp | undefined {
    if (/^\d+$/.test(issuer)) return this.apps.get(Number(issuer));
    for (const app of this.apps.values()) if (app.clientId === issuer) return app;
    return undefined;
  }

  findAppBySlug(slug: string): SimApp | undefined {
    for (const app of this.apps.values()) if (app.slug === slug) return app;
    return undefined;
  }

  wasDeleted(slug: string): boolean {
    return this.#deletedSlugs.has(slug);
  }

  installationsOf(appId: number): SimInstallation[] {
    return [...this.installations.values()].filter((installation) => installation.appId === appId);
  }

  /** A token works while it is not revoked or expired and its app and installation still exist. */
  isTokenUsable(token: SimToken | undefined, nowMs: number): token is SimToken {
    if (token === undefined || token.revoked || nowMs >= token.expiresAtMs) return false;
    const app = this.apps.get(token.appId);
    return app !== undefined && !app.keyRevoked && this.installations.has(token.installationId);
  }

  deleteInstallation(id: number): boolean {
    if (!this.installations.delete(id)) return false;
    for (const token of this.tokens.values()) if (token.installationId === id) token.revoked = true;
    return true;
  }

  /** Deletes an app with its installations and tokens, and unlinks it from its record. */
  deleteApp(id: number): boolean {
    const app = this.apps.get(id);
    if (app === undefined) return false;
    for (const installation of this.installationsOf(id)) this.deleteInstallation(installation.id);
    for (const token of this.tokens.values()) if (token.appId === id) token.revoked = true;
    this.apps.delete(id);
    this.#deletedSlugs.add(app.slug);
    const record = app.recordId === undefined ? undefined : this.records.get(app.recordId);
    if (record !== undefined) record.appId = undefined;
    return true;
  }

  createRecord(fields: Omit<SimRecord, "id" | "appId" | "createdAt">, nowMs: number): SimRecord {
    const record: SimRecord = { ...fields, id: this.#nextRecordId++, appId: undefined, createdAt: isoSeconds(nowMs) };
    this.records.set(record.id, record);
    return record;
  }

  /** Deletes a record and cascades to its app (and so the installation and tokens). */
  deleteRecord(id: number): boolean {
    const record = this.records.get(id);
    if (record === undefined) return false;
    if (record.appId !== undefined) this.deleteApp(record.appId);
    this.records.delete(id);
    return true;
  }
}
