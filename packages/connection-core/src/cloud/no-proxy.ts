import { BlockList, isIP } from "node:net";

/**
 * `NO_PROXY`/`no_proxy` as curl reads it: comma- or space-separated entries,
 * `*` alone bypasses the proxy for every host; a name matches itself and every
 * subdomain (a leading `.` or `*.` is dropped: `.example.com` = `example.com`);
 * an IP address matches itself and a CIDR (`10.0.0.0/8`, `fd00::/8`) every
 * address inside it; `host:port` (or `[v6]:port`) only that port. Names are
 * compared case-insensitively, without a trailing dot. undici's
 * EnvHttpProxyAgent knows names, suffixes, ports and `*` but no CIDRs, so
 * connect-ops decides with this one matcher.
 */
export interface NoProxyRule {
  matches(hostname: string, port: number): boolean;
}

interface Entry {
  readonly port: number | undefined;
  readonly test: (host: string) => boolean;
}

function bareHost(hostname: string): string {
  const lower = hostname.toLowerCase().replace(/\.$/, "");
  return lower.startsWith("[") && lower.endsWith("]") ? lower.slice(1, -1) : lower;
}

function splitPort(entry: string): { host: string; port: number | undefined } {
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry);
  if (v6) return { host: v6[1] as string, port: v6[2] === undefined ? undefined : Number(v6[2]) };
  const named = /^([^:]+):(\d+)$/.exec(entry);
  if (named) return { host: named[1] as string, port: Number(named[2]) };
  return { host: entry, port: undefined };
}

function cidrTest(host: string): ((candidate: string) => boolean) | undefined {
  const match = /^(.+)\/(\d{1,3})$/.exec(host);
  if (!match) return undefined;
  const address = match[1] as string;
  const family = isIP(address);
  const prefix = Number(match[2]);
  if (family === 0 || prefix > (family === 4 ? 32 : 128)) return () => false;
  const list = new BlockList();
  list.addSubnet(address, prefix, family === 4 ? "ipv4" : "ipv6");
  return (candidate) => {
    const kind = isIP(candidate);
    return kind !== 0 && list.check(candidate, kind === 4 ? "ipv4" : "ipv6");
  };
}

function parseEntry(raw: string): Entry | undefined {
  const { host: rawHost, port } = splitPort(raw);
  const host = bareHost(rawHost).replace(/^\*?\./, "");
  if (host === "") return undefined;
  const cidr = cidrTest(host);
  if (cidr !== undefined) return { port, test: cidr };
  if (isIP(host) !== 0) return { port, test: (candidate) => candidate === host };
  // A name never matches an address by suffix (curl: `.0.0.1` does not cover 127.0.0.1).
  return { port, test: (candidate) => isIP(candidate) === 0 && (candidate === host || candidate.endsWith(`.${host}`)) };
}

/** Parses a NO_PROXY value (undefined or empty: nothing bypasses). Unusable entries match nothing. */
export function parseNoProxy(value: string | undefined): NoProxyRule {
  const raw = (value ?? "").split(/[,\s]+/).filter((entry) => entry !== "");
  if (raw.includes("*")) return { matches: () => true };
  const entries = raw.map(parseEntry).filter((entry): entry is Entry => entry !== undefined);
  return {
    matches: (hostname, port) => {
      const host = bareHost(hostname);
      return entries.some((entry) => (entry.port === undefined || entry.port === port) && entry.test(host));
    },
  };
}
