import type { ByteReader } from "./byte-reader.js";
import { inflateMember } from "./deflate-member.js";
import type { LayerDecoder, ScanWalk } from "./layer-decoder.js";
import { addGap, nested, type StreamContext } from "./scan-context.js";

const LOCAL = 0x04034b50;
const CENTRAL = 0x02014b50;
const END = 0x06054b50;
const ZIP64_END = 0x06064b50;
const ZIP64_LOCATOR = 0x07064b50;
const DESCRIPTOR = 0x08074b50;
const UNKNOWN_32 = 0xffffffff;

/** One local file header (APPNOTE 4.3.7), with the zip64 sizes of its extra field applied. */
interface LocalHeader {
  readonly name: string;
  readonly flags: number;
  readonly method: number;
  readonly compressedSize: number;
  readonly zip64: boolean;
}

/** The zip64 extended-information extra field (id 1): the sizes the header marks 0xffffffff, 8 bytes each. */
function zip64Sizes(extra: Buffer, usize: number, csize: number): { usize: number; csize: number } | undefined {
  for (let at = 0; at + 4 <= extra.length;) {
    const id = extra.readUInt16LE(at);
    const length = extra.readUInt16LE(at + 2);
    if (id === 1) {
      const field = extra.subarray(at + 4, at + 4 + length);
      let offset = 0;
      const next = (value: number): number | undefined => {
        if (value !== UNKNOWN_32) return value;
        if (offset + 8 > field.length) return undefined;
        const big = field.readBigUInt64LE(offset);
        offset += 8;
        return big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : undefined;
      };
      const u = next(usize);
      const c = next(csize);
      return u === undefined || c === undefined ? undefined : { usize: u, csize: c };
    }
    at += 4 + length;
  }
  return undefined;
}

/** Reads a local header after its signature; undefined when truncated or its zip64 sizes are missing. */
async function readLocal(reader: ByteReader): Promise<LocalHeader | "truncated" | "zip64"> {
  const fixed = await reader.read(26);
  if (fixed.length < 26) return "truncated";
  const flags = fixed.readUInt16LE(2);
  const method = fixed.readUInt16LE(4);
  const csize = fixed.readUInt32LE(14);
  const usize = fixed.readUInt32LE(18);
  const nameBytes = await reader.read(fixed.readUInt16LE(22));
  const extra = await reader.read(fixed.readUInt16LE(24));
  if (extra.length < fixed.readUInt16LE(24)) return "truncated";
  // Bit 11: the name is UTF-8; otherwise CP437, of which ASCII is what tools write.
  const name = nameBytes.toString((flags & 0x800) !== 0 ? "utf8" : "latin1");
  const zip64 = csize === UNKNOWN_32 || usize === UNKNOWN_32;
  if (!zip64) return { name, flags, method, compressedSize: csize, zip64 };
  const sizes = zip64Sizes(extra, usize, csize);
  return sizes === undefined ? "zip64" : { name, flags, method, compressedSize: sizes.csize, zip64 };
}

/** Skips a data descriptor (APPNOTE 4.3.9): an optional signature, the CRC, then 4- or 8-byte sizes. */
async function skipDescriptor(reader: ByteReader, zip64: boolean): Promise<void> {
  const head = await reader.peek(4);
  if (head.length === 4 && head.readUInt32LE(0) === DESCRIPTOR) await reader.skip(4);
  await reader.skip(zip64 ? 20 : 12);
}

/** Said when the walk cannot find the header after a member: the rest is read by the raw scan only. */
const REST_RAW = "the members after it are read as raw bytes only";

/**
 * One member: stored data is a slice, deflate is inflated (to its own end when
 * a data descriptor follows); encrypted members and other methods are gaps.
 * Returns the reason (a gap of the zip) when the next header cannot be found.
 */
async function scanMember(
  reader: ByteReader,
  header: LocalHeader,
  context: StreamContext,
  walk: ScanWalk,
): Promise<string | undefined> {
  const { name, compressedSize } = header;
  const member = nested(context, name);
  const descriptor = (header.flags & 0x08) !== 0;
  const sized = !descriptor || compressedSize > 0;
  if ((header.flags & 0x01) !== 0) {
    if (!sized) return `encrypted-content: zip member ${name} is encrypted, its size in a data descriptor; ${REST_RAW}`;
    addGap(member, `encrypted-content: zip member ${name} is encrypted`);
    await reader.skip(compressedSize);
  } else if (header.method === 0 && sized) {
    await walk.child({ name, reader: walk.slice(compressedSize) });
  } else if (header.method === 8) {
    const start = reader.consumed;
    const outcome = await inflateMember(reader, context.limits, (inflated) => walk.child({ name, reader: inflated }));
    if (outcome.error !== undefined && outcome.limit === undefined)
      return `corrupt-zip: member ${name} does not inflate (${errorText(outcome.error)}); ${REST_RAW}`;
    if (outcome.limit !== undefined) {
      addGap(member, `zip-inflate-limit: ${outcome.limit}`);
      if (!sized) return `zip-inflate-limit: member ${name} stopped at a limit; ${REST_RAW}`;
    }
    const used = reader.consumed - start;
    if (sized && used < compressedSize) await reader.skip(compressedSize - used);
  } else {
    const what = header.method === 0 ? "stored with its size in a data descriptor" : `method ${header.method}`;
    if (!sized) return `unsupported-compression: zip member ${name} (${what}) not decoded; ${REST_RAW}`;
    addGap(member, `unsupported-compression: zip member ${name} uses ${what}, not decoded`);
    await reader.skip(compressedSize);
  }
  if (descriptor) await skipDescriptor(reader, header.zip64);
  return undefined;
}

function errorText(error: unknown): string {
  return `${(error as NodeJS.ErrnoException).code ?? "error"} ${(error as Error).message}`;
}

/** Reads the central directory: the names it lists. Undefined when it is damaged. */
async function centralNames(reader: ByteReader): Promise<string[] | undefined> {
  const names: string[] = [];
  for (;;) {
    const fixed = await reader.read(42);
    if (fixed.length < 42) return undefined;
    const flags = fixed.readUInt16LE(4);
    const name = await reader.read(fixed.readUInt16LE(24));
    names.push(name.toString((flags & 0x800) !== 0 ? "utf8" : "latin1"));
    await reader.skip(fixed.readUInt16LE(26) + fixed.readUInt16LE(28));
    const next = await reader.read(4);
    if (next.length < 4 || next.readUInt32LE(0) !== CENTRAL)
      return next.length === 4 && [END, ZIP64_END, ZIP64_LOCATOR].includes(next.readUInt32LE(0)) ? names : undefined;
  }
}

/**
 * zip (APPNOTE): stored and deflate members, walked in order from their local
 * headers as a stream; the central directory after them is checked against
 * what was read (a member it lists that no local header had is a gap).
 * Encrypted members, other methods and a zip64 header without its sizes are
 * gaps. No rewrite: redact names a zip holding a finding as failed.
 */
export const zipLayer: LayerDecoder = {
  kind: "zip",
  detect: (head) => head.length >= 30 && Buffer.from(head.buffer, head.byteOffset, 4).readUInt32LE(0) === LOCAL,

  async open(reader, context, walk) {
    const seen = new Set<string>();
    for (;;) {
      const offset = reader.consumed;
      const signature = await reader.read(4);
      const kind = signature.length === 4 ? signature.readUInt32LE(0) : undefined;
      if (kind === LOCAL) {
        const header = await readLocal(reader);
        if (header === "truncated") {
          addGap(context, `corrupt-zip: truncated header at byte ${offset}`);
          return;
        }
        if (header === "zip64") {
          addGap(context, `zip64-unsupported: a zip64 header at byte ${offset} without its sizes; not read`);
          return;
        }
        seen.add(header.name);
        const stopped = await scanMember(reader, header, context, walk);
        if (stopped === undefined) continue;
        addGap(context, stopped);
        await reader.drain();
        return;
      }
      if (kind === CENTRAL) {
        const names = await centralNames(reader);
        if (names === undefined) addGap(context, "corrupt-zip: damaged central directory");
        for (const name of names ?? []) {
          if (!seen.has(name))
            addGap(nested(context, name), "zip-member-not-read: listed in the central directory, no local header read");
        }
      } else if (kind !== END && kind !== ZIP64_END) {
        addGap(context, `corrupt-zip: unexpected bytes at byte ${offset}; the rest is read as raw bytes`);
      }
      // The end records and a trailing comment: read by the raw scan.
      await reader.drain();
      return;
    }
  },
};
