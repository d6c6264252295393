import type { NetworkOptions } from "./proxy-settings.js";

/**
 * The `fetch` every cloud request goes through (proxy, NO_PROXY, extra CAs, the proxy/TLS errors), for a caller
 * that needs the raw answer (status, `Date` header) rather than the cloud client: `connect-ops doctor`. Loads
 * undici only when called, so importing the package stays off the start-up path.
 */
export async function loadNetworkFetch(options: NetworkOptions): Promise<typeof globalThis.fetch> {
  const { createNetworkFetch } = await import("./network-fetch.js");
  return createNetworkFetch(options);
}
