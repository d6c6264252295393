/** Minimal ustar/GNU/pax header handling: enough to walk and rewrite archives without extracting them. */

export const BLOCK = 512;

export type TarEntryType = "file" | "directory" | "symlink" | "hardlink" | "gnu-longname" | "gnu-longlink" | "pax" | "pax-global" | "other";

export interface TarHeader {
  readonly name: string;
  readonly linkName: string;
  readonly size: number;
  readonly type: TarEntryType;
  readonly typeFlag: string;
}

function readString(block: Buffer, offset: number, length: number): string {
  const field = block.subarray(offset, offset + length);
  const nul = field.indexOf(0);
  return field.subarray(0, nul === -1 ? length : nul).toString("utf8");
}

/** Octal, or GNU base-256 when the high bit of the first byte is set. */
function readNumber(block: Buffer, offset: number, length: number): number {
  const first = block[offset]!;
  if (first & 0x80) {
    let value = first & 0x7f;
    for (let index = 1; index < length; index += 1) value = value * 256 + block[offset + index]!;
    return value;
  }
  const text = readString(block, offset, length).trim();
  return text === "" ? 0 : Number.parseInt(text, 8);
}

function checksum(block: Buffer): number {
  let sum = 0;
  for (let index = 0; index < BLOCK; index += 1) sum += index >= 148 && index < 156 ? 0x20 : block[index]!;
  return sum;
}

export function isZeroBlock(block: Buffer): boolean {
  for (let index = 0; index < BLOCK; index += 1) if (block[index] !== 0) return false;
  return true;
}

/** True when `head` (at least 512 bytes) starts with a tar header: the ustar magic and a valid checksum. */
export function looksLikeTar(head: Buffer): boolean {
  if (head.length < BLOCK) return false;
  return head.toString("latin1", 257, 262) === "ustar" && readNumber(head, 148, 8) === checksum(head);
}

const TYPES: Record<string, TarEntryType> = {
  "0": "file", "\0": "file", "7": "file", "5": "directory", "2": "symlink", "1": "hardlink",
  L: "gnu-longname", K: "gnu-longlink", x: "pax", g: "pax-global",
};

/** Parses a header block; returns undefined when the checksum is wrong (corrupt archive). */
export function parseTarHeader(block: Buffer): TarHeader | undefined {
  const stored = readNumber(block, 148, 8);
  if (Number.isNaN(stored) || stored !== checksum(block)) return undefined;
  const typeFlag = String.fromCharCode(block[156]!);
  const prefix = block.toString("latin1", 257, 262) === "ustar" ? readString(block, 345, 155) : "";
  const name = readString(block, 0, 100);
  return {
    name: prefix ? `${prefix}/${name}` : name,
    linkName: readString(block, 157, 100),
    size: readNumber(block, 124, 12),
    type: TYPES[typeFlag] ?? "other",
    typeFlag,
  };
}

/** Returns a copy of `block` with a new size field and checksum (sizes up to 8 GiB - 1 only). */
export function withSize(block: Buffer, size: number): Buffer {
  const copy = Buffer.from(block);
  if (size >= 8 ** 11) throw new RangeError("member too large for an octal size field");
  copy.write(`${size.toString(8).padStart(11, "0")}\0`, 124, 12, "latin1");
  copy.write(`${checksum(copy).toString(8).padStart(6, "0")}\0 `, 148, 8, "latin1");
  return copy;
}

/** `path` and `linkpath` of a pax extended header body. */
export function parsePax(body: Buffer): Record<string, string> {
  const records: Record<string, string> = {};
  let offset = 0;
  while (offset < body.length) {
    const space = body.indexOf(0x20, offset);
    if (space === -1) break;
    const length = Number.parseInt(body.toString("latin1", offset, space), 10);
    if (!Number.isFinite(length) || length <= 0) break;
    const record = body.subarray(space + 1, offset + length - 1).toString("utf8");
    const equals = record.indexOf("=");
    if (equals > 0) records[record.slice(0, equals)] = record.slice(equals + 1);
    offset += length;
  }
  return records;
}

export function paddedSize(size: number): number {
  return Math.ceil(size / BLOCK) * BLOCK;
}

/** A member path or link target that would land outside the extraction root. */
export function isUnsafeArchivePath(path: string): boolean {
  if (path.startsWith("/") || /^[A-Za-z]:/.test(path)) return true;
  return path.split(/[\\/]/).includes("..");
}
