import type { ByteReader } from "./byte-reader.js";
import {
  BLOCK,
  isZeroBlock,
  paddedSize,
  parseTarHeader,
  withExtendedHeader,
  type TarHeader,
  type TarOverrides,
} from "./tar-header.js";

/** One entry of a tar stream: its header, and the raw blocks (extended headers, then its own) that describe it. */
export interface TarEntry {
  readonly kind: "entry";
  readonly header: TarHeader;
  /** The extended-header blocks (pax, GNU long names) before this entry's own header block, verbatim. */
  readonly extended: readonly Buffer[];
  readonly block: Buffer;
  /** The size came from a pax record (the header's own field may say something else). */
  readonly sizeFromPax: boolean;
}

/** The end of the entries: the end-of-archive block (or a short last block), or nothing at a bare end of stream. */
export interface TarEnd {
  readonly kind: "end";
  /** Extended headers that no entry followed (a trailing global pax header), verbatim. */
  readonly extended: readonly Buffer[];
  readonly block: Buffer;
}

/** The stream stopped making sense at byte `offset`: nothing after it was read as entries. */
export interface TarDamage {
  readonly kind: "damage";
  readonly reason: string;
  /** The member the damage belongs to, when it is in an entry's data. */
  readonly member?: string;
}

export type TarItem = TarEntry | TarEnd | TarDamage;

/**
 * Reads tar entries in order, for the scan and the rewrite alike. After each
 * entry is yielded the consumer may read any part of its data (`header.size`
 * bytes) from `reader`; what it leaves, and the padding, are skipped before the
 * next header. Extended headers (pax, GNU long names, global pax) are folded into the entry after them.
 * Yields one `end` or `damage` last.
 */
export async function* tarEntries(reader: ByteReader): AsyncGenerator<TarItem, void, undefined> {
  let overrides: TarOverrides = {};
  let extended: Buffer[] = [];
  for (;;) {
    const offset = reader.consumed;
    const block = await reader.read(BLOCK);
    if (block.length === 0 || (block.length === BLOCK && isZeroBlock(block)))
      return yield { kind: "end", extended, block };
    if (block.length < BLOCK)
      return yield { kind: "damage", reason: `corrupt-tar: truncated header at byte ${offset}` };
    const header = parseTarHeader(block, overrides);
    if (!header) return yield { kind: "damage", reason: `corrupt-tar: bad header checksum at byte ${offset}` };
    const padded = paddedSize(header.size);
    if (
      header.type === "pax" ||
      header.type === "gnu-longname" ||
      header.type === "gnu-longlink" ||
      header.type === "pax-global"
    ) {
      const body = await reader.read(padded);
      if (body.length < padded)
        return yield { kind: "damage", reason: `corrupt-tar: truncated extended header at byte ${offset}` };
      // Global pax records (`g`) describe the archive, not a member: kept verbatim, not applied.
      if (header.type !== "pax-global")
        overrides = withExtendedHeader(overrides, header.type, body.subarray(0, header.size));
      extended.push(block, body);
      continue;
    }
    const entry: TarEntry = { kind: "entry", header, extended, block, sizeFromPax: overrides.size !== undefined };
    overrides = {};
    extended = [];
    const dataStart = reader.consumed;
    yield entry;
    const read = reader.consumed - dataStart;
    if (read < header.size && (await reader.skip(header.size - read)) < header.size - read) {
      return yield { kind: "damage", reason: "corrupt-tar: truncated member data", member: header.name };
    }
    const padding = padded - Math.max(read, header.size);
    if (padding > 0 && (await reader.skip(padding)) < padding) {
      return yield { kind: "damage", reason: "corrupt-tar: truncated member padding", member: header.name };
    }
  }
}
