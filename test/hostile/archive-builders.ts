import { createResidueMatcher, deriveResidueFingerprints, type ResidueMatcher } from "@connect-ops/connection-core";
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { createWriteStream, mkdirSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { pipeline } from "node:stream/promises";
import { createGzip } from "node:zlib";

/** A ustar header + content built by hand, for members GNU tar refuses to write. */
export function tarEntry(
  name: string,
  content: Buffer | string = "",
  options: { type?: string; linkName?: string; claimedSize?: number } = {},
): Buffer {
  const body = Buffer.from(content);
  const header = Buffer.alloc(512);
  header.write(name.slice(0, 100), 0, 100, "utf8");
  header.write("0000644\0", 100, 8, "latin1");
  header.write("0000000\0", 108, 8, "latin1");
  header.write("0000000\0", 116, 8, "latin1");
  header.write(`${(options.claimedSize ?? body.length).toString(8).padStart(11, "0")}\0`, 124, 12, "latin1");
  header.write("00000000000\0", 136, 12, "latin1");
  header.write("        ", 148, 8, "latin1");
  header.write(options.type ?? "0", 156, 1, "latin1");
  header.write(options.linkName ?? "", 157, 100, "utf8");
  header.write("ustar\0", 257, 6, "latin1");
  header.write("00", 263, 2, "latin1");
  let sum = 0;
  for (const byte of header) sum += byte;
  header.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148, 8, "latin1");
  return Buffer.concat([header, body, Buffer.alloc((512 - (body.length % 512)) % 512)]);
}

export function tarOf(entries: readonly Buffer[]): Buffer {
  return Buffer.concat([...entries, Buffer.alloc(1024)]);
}

const ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

export interface HostileCredentials {
  readonly token: string;
  readonly pem: string;
  readonly matcher: ResidueMatcher;
}

/** A fresh key and token (never a real one) with their residue fingerprints. */
export function hostileCredentials(): HostileCredentials {
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const pem = privateKey.export({ type: "pkcs1", format: "pem" }).toString();
  const token = `ghs_${Array.from(randomBytes(36), (byte) => ALNUM[byte % ALNUM.length]).join("")}`;
  const fingerprints = deriveResidueFingerprints({
    appId: 4242,
    privateKeyPem: pem,
    tokens: [token],
    saltBytes: randomBytes(16),
  });
  return { token, pem, matcher: createResidueMatcher([fingerprints]) };
}

/** Streams `bytes` zero bytes through gzip into `path` (a bomb: ~1000:1) without holding them in memory. */
export async function writeZeroGzip(path: string, bytes: number): Promise<void> {
  const chunk = Buffer.alloc(1024 * 1024);
  function* zeros() {
    for (let left = bytes; left > 0; left -= chunk.length) yield left >= chunk.length ? chunk : chunk.subarray(0, left);
  }
  await pipeline(zeros(), createGzip({ level: 1 }), createWriteStream(path));
}

/** Every file under `root` with its bytes, except those under `skip` (relative paths). */
export function treeDigest(root: string, skip: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      const rel = relative(root, path);
      if (rel === skip || rel.startsWith(`${skip}/`)) continue;
      const stats = statSync(path, { throwIfNoEntry: false });
      if (stats?.isDirectory()) walk(path);
      else if (stats?.isFile()) out[rel] = readFileSync(path).toString("base64");
      else out[rel] = "other";
    }
  };
  walk(root);
  return out;
}

export function makeDirs(...paths: string[]): void {
  for (const path of paths) mkdirSync(path, { recursive: true });
}
