import { CoreError } from "../errors.js";
import { parseNoProxy, type NoProxyRule } from "./no-proxy.js";

/** How cloud requests leave this machine: proxies, the NO_PROXY rule and extra trusted CAs. */
export interface NetworkOptions {
  /** The environment to read `HTTPS_PROXY`/`https_proxy`, `HTTP_PROXY`/`http_proxy`, `NO_PROXY`/`no_proxy` from. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** A proxy for every request (the config file's `proxy`); wins over the environment's. */
  readonly proxy?: string;
  /** CA certificates (PEM) trusted besides the system store (`--ca-file`, and NODE_EXTRA_CA_CERTS with it). */
  readonly extraCaPems?: readonly string[];
}

/** A proxy to send through: the URL undici is given, and how messages show it (never its credentials). */
export interface ProxyChoice {
  readonly url: string;
  /** `http://***@host:port` when the URL holds credentials, else `http://host:port`. */
  readonly display: string;
}

export interface ProxyPlan {
  /** The proxy for a request to `target`, or undefined to go direct. */
  proxyFor(target: URL): ProxyChoice | undefined;
}

const DEFAULT_PORTS: Record<string, number> = { "http:": 80, "https:": 443 };

function pick(env: NetworkOptions["env"], lower: string, upper: string): { name: string; value: string } | undefined {
  for (const name of [lower, upper]) {
    const value = env[name]?.trim();
    if (value !== undefined && value !== "") return { name, value };
  }
  return undefined;
}

/** Parses one proxy setting (curl: no scheme means http://). Throws CORE_INVALID_INPUT naming the setting, never its value. */
export function parseProxy(value: string, source: string): ProxyChoice {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `http://${value}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    url = new URL("invalid:");
  }
  if ((url.protocol !== "http:" && url.protocol !== "https:") || url.hostname === "") {
    throw new CoreError("CORE_INVALID_INPUT", `${source} is not an http:// or https:// proxy URL`, {
      category: "input",
      hint: `set ${source} to http://HOST:PORT (credentials as http://USER:PASSWORD@HOST:PORT), or unset it`,
      context: { setting: source },
    });
  }
  const credentials = url.username !== "" || url.password !== "" ? "***@" : "";
  return { url: url.href, display: `${url.protocol}//${credentials}${url.host}` };
}

/** Reads the proxy settings once; a malformed one fails here, before any request. */
export function proxyPlan(options: NetworkOptions): ProxyPlan {
  const configured = options.proxy === undefined ? undefined : parseProxy(options.proxy, "the config file's proxy");
  const fromEnv = (lower: string, upper: string) => {
    const found = pick(options.env, lower, upper);
    return found === undefined ? undefined : parseProxy(found.value, found.name);
  };
  const https = configured ?? fromEnv("https_proxy", "HTTPS_PROXY");
  const http = configured ?? fromEnv("http_proxy", "HTTP_PROXY");
  const noProxy: NoProxyRule = parseNoProxy(pick(options.env, "no_proxy", "NO_PROXY")?.value);
  return {
    proxyFor(target) {
      const choice = target.protocol === "https:" ? https : http;
      if (choice === undefined) return undefined;
      const port = Number(target.port) || (DEFAULT_PORTS[target.protocol] ?? 0);
      return noProxy.matches(target.hostname, port) ? undefined : choice;
    },
  };
}
