import { normaliseBaseUrl } from "./cloud-base-url.js";
import type { CloudClient, CloudClientOptions } from "./cloud-types.js";

type AsyncMethod = Exclude<keyof CloudClient, "baseUrl" | "clockOffsetMs">;
// A Record, so the compiler insists every async method of CloudClient is forwarded.
const FORWARDED: Record<AsyncMethod, true> = {
  registerConnection: true,
  renewManifestCode: true,
  getConnectionRecord: true,
  deleteConnectionRecord: true,
  convertManifest: true,
  getApp: true,
  probeAppKey: true,
  findInstallation: true,
  lookInstallation: true,
  mintInstallationToken: true,
  checkToken: true,
  revokeToken: true,
  deleteInstallation: true,
  deleteApp: true,
};

/**
 * Creates the cloud client for `options.baseUrl` (github.com's API, a GHE.com
 * data-residency API, GHES `/api/v3`, or the simulator). Throws
 * `CORE_INVALID_INPUT` for a malformed or insecure base URL; methods throw as
 * documented on `CloudClient`.
 *
 * The implementation (octokit's request and auth-app) is imported on the first
 * call, so commands that never reach the cloud — a token cache hit, an offline
 * status — do not pay for loading it.
 */
export function createCloudClient(options: CloudClientOptions): CloudClient {
  const baseUrl = normaliseBaseUrl(options.baseUrl);
  let loading: Promise<CloudClient> | undefined;
  let loaded: CloudClient | undefined;
  const load = async () => {
    loading ??= import("./cloud-client-impl.js").then(({ buildCloudClient }) =>
      buildCloudClient({ ...options, baseUrl }),
    );
    loaded = await loading;
    return loaded;
  };
  const client: Record<string, unknown> = {
    baseUrl,
    clockOffsetMs: () => loaded?.clockOffsetMs() ?? 0,
  };
  for (const method of Object.keys(FORWARDED) as AsyncMethod[]) {
    client[method] = async (...args: unknown[]) => {
      const impl = await load();
      return (impl[method] as (...methodArgs: unknown[]) => Promise<unknown>)(...args);
    };
  }
  return client as unknown as CloudClient;
}
