import { rootCertificates } from "node:tls";
import { Agent, ProxyAgent, fetch as undiciFetch, type Dispatcher } from "undici";
import { classifyNetworkError } from "./network-errors.js";
import { proxyPlan, type NetworkOptions } from "./proxy-settings.js";

/**
 * The `fetch` every cloud request goes through (undici 7): direct, or through
 * the proxy `proxyPlan` picks for the URL (CONNECT tunnel for https), trusting
 * the system store plus `extraCaPems`. A failure at the proxy or in the TLS
 * handshake is thrown as the `CoreError` `classifyNetworkError` makes (not
 * retried: it needs a change of settings); anything else as undici threw it.
 * Loaded only with the cloud client's implementation (off the start-up path).
 */
export function createNetworkFetch(options: NetworkOptions): typeof globalThis.fetch {
  const plan = proxyPlan(options);
  const extra = options.extraCaPems ?? [];
  const tls = extra.length === 0 ? {} : { ca: [...rootCertificates, ...extra] };
  let direct: Agent | undefined;
  const proxies = new Map<string, ProxyAgent>();
  const dispatcherFor = (proxyUrl: string | undefined): Dispatcher => {
    if (proxyUrl === undefined) return (direct ??= new Agent({ connect: tls }));
    let agent = proxies.get(proxyUrl);
    if (agent === undefined) {
      agent = new ProxyAgent({ uri: proxyUrl, requestTls: tls, proxyTls: tls });
      proxies.set(proxyUrl, agent);
    }
    return agent;
  };
  const networkFetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const target = new URL(input instanceof Request ? input.url : input);
    const proxy = plan.proxyFor(target);
    try {
      const options = { ...init, dispatcher: dispatcherFor(proxy?.url) } as Parameters<typeof undiciFetch>[1];
      const answer = await undiciFetch(input as Parameters<typeof undiciFetch>[0], options);
      // undici's Response class is not the global one: hand on a global Response over the same body stream.
      return new Response(answer.body as ReadableStream | null, {
        status: answer.status,
        statusText: answer.statusText,
        headers: [...answer.headers],
      });
    } catch (error) {
      throw classifyNetworkError(error, { target, proxy: proxy?.display }) ?? error;
    }
  };
  return networkFetch;
}
