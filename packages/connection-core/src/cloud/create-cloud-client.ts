import { appMethods } from "./app-methods.js";
import { normaliseBaseUrl } from "./cloud-base-url.js";
import { createCloudTransport } from "./cloud-transport.js";
import type { CloudClient, CloudClientOptions } from "./cloud-types.js";
import { connectionRecordMethods } from "./connection-records.js";
import { installationTokenMethods } from "./installation-tokens.js";

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Creates the cloud client for `options.baseUrl` (github.com's API, a GHE.com
 * data-residency API, GHES `/api/v3`, or the simulator). Throws
 * `CORE_INVALID_INPUT` for a malformed or insecure base URL; methods throw as
 * documented on `CloudClient`.
 */
export function createCloudClient(options: CloudClientOptions): CloudClient {
  const baseUrl = normaliseBaseUrl(options.baseUrl);
  const deps = options.deps ?? {};
  const transport = createCloudTransport({
    baseUrl,
    fetch: deps.fetch ?? globalThis.fetch,
    now: deps.now ?? Date.now,
    sleep: deps.sleep ?? realSleep,
    random: deps.random ?? Math.random,
    maxRetries: options.maxRetries,
  });
  return {
    baseUrl,
    clockOffsetMs: () => transport.clock.offsetMs,
    ...connectionRecordMethods(transport, options.adminToken),
    ...appMethods(transport),
    ...installationTokenMethods(transport),
  };
}
