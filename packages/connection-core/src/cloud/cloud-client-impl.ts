import { systemClock } from "../clock.js";
import { appMethods } from "./app-methods.js";
import { normaliseBaseUrl } from "./cloud-base-url.js";
import { createCloudTransport } from "./cloud-transport.js";
import type { CloudClient, CloudClientOptions } from "./cloud-types.js";
import { connectionRecordMethods } from "./connection-records.js";
import { installationTokenMethods } from "./installation-tokens.js";
import { createNetworkFetch } from "./network-fetch.js";

/** The client itself; loaded on first use by `createCloudClient` (it pulls in octokit). */
export function buildCloudClient(options: CloudClientOptions): CloudClient {
  const baseUrl = normaliseBaseUrl(options.baseUrl);
  const deps = options.deps ?? {};
  const transport = createCloudTransport({
    baseUrl,
    fetch: deps.fetch ?? createNetworkFetch(options.network ?? { env: {} }),
    now: deps.now ?? (() => systemClock.now()),
    sleep: deps.sleep ?? ((ms) => systemClock.sleep(ms)),
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
