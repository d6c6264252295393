import { CoreError } from "../errors.js";

/** OpenSSL/Node verification failures: the server's certificate is not one this machine trusts. */
const UNTRUSTED = new Set([
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "CERT_UNTRUSTED",
  "CERT_HAS_EXPIRED",
  "CERT_NOT_YET_VALID",
  "CERT_SIGNATURE_FAILURE",
  "ERR_TLS_CERT_ALTNAME_INVALID",
]);

/** Where a socket to the proxy itself could not be opened. */
const NO_PROXY_SOCKET = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH", "ETIMEDOUT"]);

interface Link {
  readonly code: string | undefined;
  readonly message: string;
}

/** The error and its `cause`s (fetch wraps the socket's error in "fetch failed"), at most a few deep. */
function chain(error: unknown): Link[] {
  const links: Link[] = [];
  let current: unknown = error;
  while (current instanceof Error && links.length < 6) {
    const code = (current as { code?: unknown }).code;
    links.push({ code: typeof code === "string" ? code : undefined, message: current.message });
    current = (current as { cause?: unknown }).cause;
  }
  return links;
}

/**
 * The `CoreError` for a failure at the proxy or in TLS verification, or
 * undefined for any other network failure (the caller's usual mapping). Names
 * the proxy only as its display form (`http://***@host:port`).
 */
export function classifyNetworkError(
  error: unknown,
  request: { readonly target: URL; readonly proxy: string | undefined },
): CoreError | undefined {
  const links = chain(error);
  const host = request.target.host;
  const via = request.proxy === undefined ? "" : ` through the proxy ${request.proxy}`;
  const untrusted = links.find((link) => link.code !== undefined && UNTRUSTED.has(link.code));
  if (untrusted?.code !== undefined) {
    return new CoreError(
      "CLOUD_TLS_UNTRUSTED",
      `the TLS certificate of ${host}${via} is not trusted (${untrusted.code})`,
      {
        category: "input",
        hint:
          "a TLS-intercepting proxy or a private CA signs it: pass that CA's certificate (PEM) with --ca-file FILE " +
          "or NODE_EXTRA_CA_CERTS=FILE; never turn verification off",
        context: { host, tlsCode: untrusted.code },
      },
    );
  }
  if (request.proxy === undefined) return undefined;
  const tunnel = links
    .map((link) => /Proxy response \((\d{3})\)|Proxy Authentication Required \((\d{3})\)/.exec(link.message))
    .find((match) => match !== null);
  if (tunnel) {
    const status = Number(tunnel[1] ?? tunnel[2]);
    const auth =
      status === 407 || status === 401
        ? ": it refused the proxy credentials (give them in the URL: http://USER:PASSWORD@HOST:PORT)"
        : "";
    return new CoreError(
      "CLOUD_PROXY_REFUSED",
      `the proxy ${request.proxy} refused CONNECT to ${host} (HTTP ${status})${auth}`,
      {
        category: "input",
        hint:
          "ask for the proxy to allow CONNECT to github.com and api.github.com on port 443 (GHE.com: SUB.ghe.com and " +
          "api.SUB.ghe.com; GHES: its host), or list the host in NO_PROXY if it is reached directly",
        context: { host, status },
      },
    );
  }
  const socket = links.find((link) => link.code !== undefined && NO_PROXY_SOCKET.has(link.code));
  if (socket?.code !== undefined) {
    return new CoreError(
      "CLOUD_PROXY_UNREACHABLE",
      `could not reach the proxy ${request.proxy} to get to ${host} (${socket.code})`,
      {
        category: "incomplete",
        hint: "check HTTPS_PROXY (or the config file's proxy): host, port and that the proxy runs; it is safe to re-run",
        context: { host, errno: socket.code },
      },
    );
  }
  return undefined;
}
