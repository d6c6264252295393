import type { NetworkOptions } from "./proxy-settings.js";
import type { ConnectedAccount, ConnectionRecord } from "../schemas.js";

/** What authenticates as the GitHub App. `slug`, when known, lets deletes tell "already gone" from "refused". */
export interface AppAuth {
  readonly appId: number;
  readonly privateKeyPem: string;
  readonly slug?: string;
}

/** The connection record to register; the account id is assigned by the cloud. */
export type ConnectionRecordInput = Omit<ConnectionRecord, "account"> & {
  readonly account: Omit<ConnectedAccount, "id">;
};

export interface RegisteredConnection {
  readonly recordId: number;
  readonly account: ConnectedAccount;
  /** One-time code (valid one hour) whose conversion creates the account's app. */
  readonly manifestCode: string;
  readonly manifestCodeExpiresAt: string;
}

/** The record as the cloud holds it, with the app linked to it (if any). */
export type CloudConnectionRecord = ConnectionRecord & {
  readonly recordId: number;
  readonly appId: number | undefined;
  readonly appSlug: string | undefined;
};

/** The manifest conversion's result. Secret: `privateKeyPem`, `clientSecret`, `webhookSecret` (GitHub returns them only once). */
export interface ConvertedApp {
  readonly appId: number;
  readonly slug: string;
  readonly name: string;
  readonly clientId: string;
  readonly ownerLogin: string;
  readonly privateKeyPem: string;
  readonly clientSecret: string;
  readonly webhookSecret: string | null;
  readonly createdAt: string;
}

export interface CloudApp {
  readonly appId: number;
  readonly slug: string;
  readonly name: string;
  readonly clientId: string;
  readonly ownerLogin: string;
  readonly ownerType: "organization" | "enterprise" | "user";
  readonly installationsCount: number;
}

/** `GET /app` with the app's own JWT: the proof that a key still works, or that it no longer does (401). */
export type AppKeyProbe =
  | { readonly accepted: true; readonly status: 200; readonly app: CloudApp }
  | { readonly accepted: false; readonly status: 401 };

/** `stateless` = `ghs_<APPID>_<JWT>`, `classic` = 40 characters; unset lets the cloud choose. */
export type TokenFormat = "stateless" | "classic";

export interface MintedToken {
  /** Secret. */
  readonly token: string;
  readonly expiresAt: string;
}

export interface CloudClientDeps {
  /** HTTP (default global fetch); the retry layer wraps it. */
  readonly fetch?: typeof globalThis.fetch;
  /** Our clock in ms (default Date.now). */
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
}

export interface CloudClientOptions {
  /** `https://api.github.com`, `https://api.SUB.ghe.com`, `https://HOST/api/v3`, or a simulator on loopback (http allowed only there). */
  readonly baseUrl: string;
  /** Cloud admin token for connection records (PAT/OAuth token). Secret. */
  readonly adminToken?: string;
  readonly deps?: CloudClientDeps;
  /** Retries after the first attempt on 5xx, network errors and rate limits (default 4). */
  readonly maxRetries?: number;
  /** Proxies and extra CAs (default: direct, the system store). Ignored when `deps.fetch` is given. */
  readonly network?: NetworkOptions;
}

/**
 * GitHub Enterprise Cloud, as Connect needs it. Every method throws `CoreError`
 * (`CLOUD_UNREACHABLE`/`CLOUD_RATE_LIMITED`: incomplete, safe to re-run;
 * `CLOUD_UNAUTHORIZED`, `CLOUD_NOT_FOUND`, `CLOUD_REJECTED`: input) whose
 * message holds no token, JWT, key or Authorization value. "Already gone" is a
 * result, never an error; a 404 alone is never "gone".
 */
export interface CloudClient {
  readonly baseUrl: string;
  /** Server time minus ours, in ms, as last measured from a `Date` header. */
  clockOffsetMs(): number;
  /** Stores the connection record (admin token); returns the manifest code that creates the app. */
  registerConnection(record: ConnectionRecordInput): Promise<RegisteredConnection>;
  /** A fresh manifest code for a record whose app does not exist (lost key, expired code). */
  renewManifestCode(recordId: number): Promise<{ manifestCode: string; expiresAt: string }>;
  /**
   * The record, or undefined on 404. Auth: the admin token, or `app`'s JWT. A 404 is no proof of deletion: a cloud
   * without the Connect-record API (github.com) answers 404 too; only a record seen before may be taken as gone.
   */
  getConnectionRecord(recordId: number, app?: AppAuth): Promise<CloudConnectionRecord | undefined>;
  /** Deletes the record and, on the cloud side, its app, installation and tokens. `not-found`: 404 (see above). */
  deleteConnectionRecord(recordId: number, app?: AppAuth): Promise<"deleted" | "not-found">;
  /** Converts a manifest code into the app. Returns the PEM: seal it before anything else. */
  convertManifest(code: string): Promise<ConvertedApp>;
  getApp(app: AppAuth): Promise<CloudApp>;
  /** `GET /app` with the app's JWT: accepted (200) or refused (401: key deleted or revoked, or the App deleted). */
  probeAppKey(app: AppAuth): Promise<AppKeyProbe>;
  /** The app's installation on `accountLogin`, or undefined. */
  findInstallation(app: AppAuth, accountLogin: string): Promise<number | undefined>;
  /** `GET /app/installations/{id}` as the app: `refused` when the app's JWT gets 401. */
  lookInstallation(app: AppAuth, installationId: number): Promise<"exists" | "not-found" | "refused">;
  /** Always a new token (never @octokit/auth-app's cache). */
  mintInstallationToken(app: AppAuth, installationId: number, options?: { format?: TokenFormat }): Promise<MintedToken>;
  /** "refused" when the cloud answers 401 (expired, revoked, app gone). */
  checkToken(token: string): Promise<"valid" | "refused">;
  revokeToken(token: string): Promise<"revoked" | "already-invalid">;
  /** `not-found`: 404; `refused`: the app's JWT got 401. Neither is a proof by itself. */
  deleteInstallation(app: AppAuth, installationId: number): Promise<"deleted" | "not-found" | "refused">;
  /** `DELETE /app` (Connect surface). `not-offered`: 404/405, the cloud has no such API (github.com); `refused`: 401. */
  deleteApp(app: AppAuth): Promise<"deleted" | "not-offered" | "refused">;
}
