import { isUtf8 } from "node:buffer";
import { readdirSync, type Dirent } from "node:fs";

/**
 * Directory entries as the kernel has them (issue 13): a name that is not
 * UTF-8 is kept as its bytes, so it is opened exactly and two names can never
 * collide (Node's string names map every invalid byte to U+FFFD). Directories
 * are read as strings first, the fast path; only one whose names hold U+FFFD
 * is read again as bytes.
 */

/** A path: its display form, and its bytes when some component is not UTF-8 (then `raw` is what is opened). */
export interface RawPath {
  readonly path: string;
  readonly raw?: Buffer;
}

export interface RawEntry {
  readonly name: string;
  /** The name's bytes, when they are not UTF-8. */
  readonly raw?: Buffer;
  isDirectory(): boolean;
  isFile(): boolean;
  isSymbolicLink(): boolean;
}

const SLASH = Buffer.from("/");

/**
 * A name's display form when it is not UTF-8: printable ASCII as is, `\` as
 * `\\`, every other byte as `\xNN`. Exact (it can be read back) and distinct
 * for distinct byte strings.
 */
export function displayBytes(bytes: Uint8Array): string {
  let out = "";
  for (const byte of bytes) {
    if (byte === 0x5c) out += "\\\\";
    else if (byte >= 0x20 && byte < 0x7f) out += String.fromCharCode(byte);
    else out += `\\x${byte.toString(16).padStart(2, "0")}`;
  }
  return out;
}

/** `parent/name`, carrying bytes when either part has them. */
export function joinRaw(parent: RawPath, entry: { readonly name: string; readonly raw?: Buffer }): RawPath {
  const path = `${parent.path}/${entry.name}`;
  if (parent.raw === undefined && entry.raw === undefined) return { path };
  return {
    path,
    raw: Buffer.concat([parent.raw ?? Buffer.from(parent.path), SLASH, entry.raw ?? Buffer.from(entry.name)]),
  };
}

function fromBytes(entry: Dirent<Buffer>): RawEntry {
  const bytes = entry.name;
  if (isUtf8(bytes)) return withName(entry, bytes.toString("utf8"));
  return withName(entry, displayBytes(bytes), Buffer.from(bytes));
}

function withName(entry: Dirent<Buffer>, name: string, raw?: Buffer): RawEntry {
  return {
    name,
    ...(raw === undefined ? {} : { raw }),
    isDirectory: () => entry.isDirectory(),
    isFile: () => entry.isFile(),
    isSymbolicLink: () => entry.isSymbolicLink(),
  };
}

/** The entries of `directory`; throws as readdirSync does. */
export function readEntries(directory: RawPath): readonly RawEntry[] {
  if (directory.raw === undefined) {
    const entries = readdirSync(directory.path, { withFileTypes: true });
    if (!entries.some((entry) => entry.name.includes("\uFFFD"))) return entries;
  }
  return readdirSync(directory.raw ?? directory.path, { withFileTypes: true, encoding: "buffer" }).map(fromBytes);
}

/** What to hand to fs calls for `path`. */
export function fsPath(path: RawPath): string | Buffer {
  return path.raw ?? path.path;
}
