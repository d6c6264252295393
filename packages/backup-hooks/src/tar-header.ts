/**
 * Tar headers through node-tar's `Header` and `Pax`: checksums, octal and
 * GNU base-256 numbers, the ustar prefix, pax records and type codes are its
 * code, not ours. Imported by subpath: the package root also loads node-tar's
 * create/extract machinery (fs-minipass, mkdirp, …), which a scanner never runs.
 */
import { Header, type HeaderData } from "tar/header";
import { Pax } from "tar/pax";

export const BLOCK = 512;

export type TarEntryType =
  "file" | "directory" | "symlink" | "hardlink" | "gnu-longname" | "gnu-longlink" | "pax" | "pax-global" | "other";

export interface TarHeader {
  readonly name: string;
  readonly linkName: string;
  readonly size: number;
  readonly type: TarEntryType;
  readonly typeFlag: string;
}

/** The fields an extended header (pax `x`, GNU `L`/`K`) sets for the next entry. */
export type TarOverrides = Pick<HeaderData, "path" | "linkpath" | "size">;

/** node-tar's type names (`tar/types`) mapped to what the walker does with them. */
const TYPES: Record<string, TarEntryType> = {
  File: "file",
  OldFile: "file",
  ContiguousFile: "file",
  Directory: "directory",
  SymbolicLink: "symlink",
  Link: "hardlink",
  NextFileHasLongPath: "gnu-longname",
  NextFileHasLongLinkpath: "gnu-longlink",
  ExtendedHeader: "pax",
  GlobalExtendedHeader: "pax-global",
};

/** Entries that carry a file system object (node-tar's `normalFsTypes`): only they take pending overrides. */
const OVERRIDABLE = new Set<TarEntryType>(["file", "directory", "symlink", "hardlink", "other"]);

/**
 * node-tar's decode of one block, or undefined when it throws: it does for a
 * base-256 number past 2^53 in any field (`parsed number outside of javascript
 * safe integer range`). Only the decode is guarded; such a block is damage.
 */
function decodeHeader(block: Buffer): Header | undefined {
  try {
    return new Header(block);
  } catch {
    return undefined;
  }
}

export function isZeroBlock(block: Buffer): boolean {
  for (let index = 0; index < BLOCK; index += 1) if (block[index] !== 0) return false;
  return true;
}

/** An octal number field as tar writes it: octal digits, padded with spaces or NULs, at least one digit. */
function isOctalField(block: Buffer, start: number, length: number): boolean {
  const text = block
    .toString("latin1", start, start + length)
    .replace(/[\0 ]+$/, "")
    .replace(/^ +/, "");
  return /^[0-7]+$/.test(text);
}

/**
 * A v7 header (before ustar): no magic, zeros where ustar has it, a name, a
 * link flag of NUL or '0'–'7', and octal mode, size, mtime and checksum fields
 * whose checksum holds. Random bytes fail the octal fields long before the sum.
 */
function looksLikeV7(block: Buffer): boolean {
  for (let index = 257; index < BLOCK; index += 1) if (block[index] !== 0) return false;
  const flag = block[156] ?? 0;
  if (block[0] === 0 || (flag !== 0 && (flag < 0x30 || flag > 0x37))) return false;
  if (![100, 124, 136, 148].every((start) => isOctalField(block, start, start === 124 || start === 136 ? 12 : 8)))
    return false;
  return decodeHeader(block)?.cksumValid === true;
}

/** True when `head` (at least 512 bytes) starts with a tar header: the ustar magic (or v7's zeros) and a valid checksum. */
export function looksLikeTar(head: Uint8Array): boolean {
  if (head.length < BLOCK) return false;
  const block = Buffer.from(head.buffer, head.byteOffset, BLOCK);
  if (block.toString("latin1", 257, 262) === "ustar") return decodeHeader(block)?.cksumValid === true;
  return looksLikeV7(block);
}

/**
 * Parses a header block, applying the overrides of the extended headers before
 * it (pax wins over GNU long names, as in node-tar) to file system entries only:
 * a pax `size` applied to an intervening `L` header would desynchronise the walk
 * from what tar extracts. Returns undefined for a bad checksum, size or number field (corrupt).
 */
export function parseTarHeader(block: Buffer, overrides: TarOverrides = {}): TarHeader | undefined {
  const header = decodeHeader(block);
  if (!header?.cksumValid || header.size === undefined) return undefined;
  const type = TYPES[header.type] ?? "other";
  const applied = OVERRIDABLE.has(type) ? overrides : {};
  return {
    name: applied.path ?? header.path ?? "",
    linkName: applied.linkpath ?? header.linkpath ?? "",
    size: applied.size ?? header.size,
    type,
    typeFlag: block.toString("latin1", 156, 157),
  };
}

/** Folds the body of an extended header into the overrides for the next entry. */
export function withExtendedHeader(
  overrides: TarOverrides,
  type: "pax" | "gnu-longname" | "gnu-longlink",
  body: Buffer,
): TarOverrides {
  if (type === "pax") {
    const pax = Pax.parse(body.toString("utf8"));
    return { ...overrides, ...definedOnly({ path: pax.path, linkpath: pax.linkpath, size: pax.size }) };
  }
  const text = body.toString("utf8").replace(/\0.*$/s, "");
  return type === "gnu-longname" ? { ...overrides, path: text } : { ...overrides, linkpath: text };
}

/** A pax header carries any subset of the fields: the ones it leaves out are undefined here. */
function definedOnly(fields: {
  readonly path: string | undefined;
  readonly linkpath: string | undefined;
  readonly size: number | undefined;
}): TarOverrides {
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined));
}

/**
 * Returns a copy of `block` with a new size (octal, or base-256 above 8 GiB as
 * GNU tar writes it, encoded by node-tar) and checksum; every other byte is
 * kept. node-tar's `encode()` re-serialises all fields in its own layout (13 to
 * 36 bytes differ on a round trip of a GNU tar header, and GNU's `ustar  `
 * magic becomes POSIX's, turning GNU atime bytes into a path prefix), so only
 * the size field is taken from it and the checksum is summed here.
 */
export function withSize(block: Buffer, size: number): Buffer {
  const copy = Buffer.from(block);
  const sized = Buffer.alloc(BLOCK);
  new Header({ size }).encode(sized);
  sized.copy(copy, 124, 124, 136);
  copy.fill(0x20, 148, 156);
  let sum = 0;
  for (const byte of copy.subarray(0, BLOCK)) sum += byte;
  copy.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148, 8, "latin1");
  return copy;
}

export function paddedSize(size: number): number {
  return Math.ceil(size / BLOCK) * BLOCK;
}

/** A member path or link target that would land outside the extraction root. */
export function isUnsafeArchivePath(path: string): boolean {
  if (path.startsWith("/") || /^[A-Za-z]:/.test(path)) return true;
  return path.split(/[\\/]/).includes("..");
}
