import { createHash, createHmac, timingSafeEqual } from "node:crypto";

/** One usable line of an OpenSSH known_hosts file. */
export interface KnownHostEntry {
  readonly marker: "revoked" | "cert-authority" | undefined;
  /** Comma-separated patterns, or one hashed `|1|salt|hash` name. */
  readonly hosts: string;
  readonly keyType: string;
  readonly key: Buffer;
  readonly line: number;
}

export interface ParsedKnownHosts {
  readonly entries: readonly KnownHostEntry[];
  /** Lines OpenSSH would also ignore; reported so a typo does not pass silently. */
  readonly invalidLines: readonly number[];
}

export type HostKeyLookup =
  | { readonly status: "known" }
  | { readonly status: "unknown" }
  | { readonly status: "changed"; readonly knownLines: readonly number[] }
  | { readonly status: "revoked"; readonly line: number };

/** Parses known_hosts text (plain, hashed, `[host]:port`, comma lists, `@revoked`/`@cert-authority`). */
export function parseKnownHosts(text: string): ParsedKnownHosts {
  const entries: KnownHostEntry[] = [];
  const invalidLines: number[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = index + 1;
    const trimmed = raw.trim();
    if (trimmed === "" || trimmed.startsWith("#")) return;
    const fields = trimmed.split(/\s+/);
    let marker: KnownHostEntry["marker"];
    if (fields[0]?.startsWith("@")) {
      const name = fields.shift();
      if (name !== "@revoked" && name !== "@cert-authority") return void invalidLines.push(line);
      marker = name === "@revoked" ? "revoked" : "cert-authority";
    }
    const [hosts, keyType, keyText] = fields;
    if (
      hosts === undefined ||
      keyType === undefined ||
      keyText === undefined ||
      !/^[A-Za-z0-9+/]+={0,2}$/.test(keyText)
    ) {
      return void invalidLines.push(line);
    }
    const key = Buffer.from(keyText, "base64");
    if (keyTypeOfBlob(key) !== keyType) return void invalidLines.push(line);
    entries.push({ marker, hosts, keyType, key, line });
  });
  return { entries, invalidLines };
}

/** The name OpenSSH records a host under: `host` on port 22, else `[host]:port`. */
export function knownHostsName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

/** OpenSSH's fingerprint format: `SHA256:` + unpadded base64 of the key blob's digest. */
export function sshFingerprint(keyBlob: Uint8Array): string {
  return `SHA256:${createHash("sha256").update(keyBlob).digest("base64").replace(/=+$/, "")}`;
}

/** The algorithm name at the start of an SSH public key blob (RFC 4253 §6.6), or undefined. */
export function keyTypeOfBlob(blob: Uint8Array): string | undefined {
  if (blob.length < 4) return undefined;
  const length = Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength).readUInt32BE(0);
  if (length === 0 || length > 64 || blob.length < 4 + length) return undefined;
  return Buffer.from(blob.subarray(4, 4 + length)).toString("latin1");
}

/** True when `name` matches an entry's host field, including hashed and negated patterns. */
export function hostFieldMatches(hosts: string, name: string): boolean {
  if (hosts.startsWith("|1|")) {
    const [, , saltText, hashText] = hosts.split("|");
    if (saltText === undefined || hashText === undefined) return false;
    const expected = Buffer.from(hashText, "base64");
    const actual = createHmac("sha1", Buffer.from(saltText, "base64")).update(name).digest();
    return expected.length === actual.length && timingSafeEqual(expected, actual);
  }
  let matched = false;
  for (const pattern of hosts.split(",")) {
    const negated = pattern.startsWith("!");
    if (wildcardMatches(negated ? pattern.slice(1) : pattern, name)) {
      if (negated) return false;
      matched = true;
    }
  }
  return matched;
}

function wildcardMatches(pattern: string, name: string): boolean {
  const source = pattern
    .replace(/[.+^${}()|[\]\\]/g, "\\$&")
    .replace(/\*/g, ".*")
    .replace(/\?/g, ".");
  return new RegExp(`^${source}$`, "i").test(name);
}

/**
 * Looks a presented host key up. A key listed `@revoked` is refused even when
 * also listed as known. When the host has entries but none holds this key the
 * result is `changed` — also for a key of another type, since a node that
 * stopped offering its recorded key type is as suspicious as a new key.
 */
export function lookupHostKey(
  knownHosts: ParsedKnownHosts,
  host: string,
  port: number,
  keyBlob: Uint8Array,
): HostKeyLookup {
  const name = knownHostsName(host, port);
  const presented = Buffer.from(keyBlob);
  const forHost = knownHosts.entries.filter(
    (entry) => entry.marker !== "cert-authority" && hostFieldMatches(entry.hosts, name),
  );
  const revoked = knownHosts.entries.find(
    (entry) =>
      entry.marker === "revoked" &&
      entry.key.equals(presented) &&
      (entry.hosts === "*" || hostFieldMatches(entry.hosts, name)),
  );
  if (revoked !== undefined) return { status: "revoked", line: revoked.line };
  const plain = forHost.filter((entry) => entry.marker === undefined);
  if (plain.some((entry) => entry.key.equals(presented))) return { status: "known" };
  if (plain.length > 0) return { status: "changed", knownLines: plain.map((entry) => entry.line) };
  return { status: "unknown" };
}

/** Key types recorded for the host, so the handshake can ask for those first (as OpenSSH does). */
export function knownKeyTypes(knownHosts: ParsedKnownHosts, host: string, port: number): string[] {
  const name = knownHostsName(host, port);
  const types = knownHosts.entries
    .filter((entry) => entry.marker === undefined && hostFieldMatches(entry.hosts, name))
    .map((entry) => entry.keyType);
  return [...new Set(types)];
}
