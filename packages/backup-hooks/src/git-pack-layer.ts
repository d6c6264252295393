import type { ByteReader } from "./byte-reader.js";
import { inflateMember } from "./deflate-member.js";
import type { LayerDecoder, ScanWalk } from "./layer-decoder.js";
import { addGap, nested, type StreamContext } from "./scan-context.js";

const TYPES = ["", "commit", "tree", "blob", "tag", "", "ofs-delta", "ref-delta"];

/** The object header: a type and a size in a little-endian base-128 varint (gitformat-pack). */
async function objectType(reader: ByteReader): Promise<number | undefined> {
  let byte = (await reader.read(1))[0];
  if (byte === undefined) return undefined;
  const type = (byte >> 4) & 0x07;
  while ((byte & 0x80) !== 0) {
    byte = (await reader.read(1))[0];
    if (byte === undefined) return undefined;
  }
  return type;
}

/** The base offset of an ofs-delta: a big-endian base-128 varint, ended by a byte under 0x80. */
async function skipOffset(reader: ByteReader): Promise<boolean> {
  for (;;) {
    const byte = (await reader.read(1))[0];
    if (byte === undefined) return false;
    if ((byte & 0x80) === 0) return true;
  }
}

/**
 * A git pack (`PACK`, version 2 or 3): each object's zlib stream is inflated
 * as a child named `object N (type)`; its end is where zlib's stream ends.
 * Deltas are scanned as delta data (their inserted bytes), not applied to
 * their bases: a pack with deltas is a gap that counts them. The trailing
 * checksum is read by the raw scan. No rewrite: redact names the file.
 */
export const gitPackLayer: LayerDecoder = {
  kind: "git-pack",
  detect: (head) =>
    head.length >= 12 &&
    Buffer.from(head.buffer, head.byteOffset, 4).toString("latin1") === "PACK" &&
    head[4] === 0 &&
    head[5] === 0 &&
    head[6] === 0 &&
    (head[7] === 2 || head[7] === 3),

  async open(reader, context, walk) {
    await walkPack(reader, context, walk);
    // After damage, and the trailing checksum: read by the raw scan.
    await reader.drain();
  },
};

async function walkPack(reader: ByteReader, context: StreamContext, walk: ScanWalk): Promise<void> {
  const header = await reader.read(12);
  const count = header.readUInt32BE(8);
  let deltas = 0;
  for (let index = 0; index < count; index += 1) {
    const type = await objectType(reader);
    if (type === undefined || TYPES[type] === "" || TYPES[type] === undefined) {
      addGap(context, `corrupt-git-pack: bad object header (object ${index} of ${count})`);
      return;
    }
    if (type === 6 && !(await skipOffset(reader))) {
      addGap(context, `corrupt-git-pack: truncated (object ${index})`);
      return;
    }
    if (type === 7 && (await reader.skip(20)) < 20) {
      addGap(context, `corrupt-git-pack: truncated (object ${index})`);
      return;
    }
    if (type >= 6) deltas += 1;
    const name = `object ${index} (${TYPES[type]})`;
    // zlib: a 2-byte header, the raw deflate stream, a 4-byte Adler-32.
    if ((await reader.skip(2)) < 2) {
      addGap(context, `corrupt-git-pack: truncated (object ${index})`);
      return;
    }
    const outcome = await inflateMember(reader, context.limits, (inflated) => walk.child({ name, reader: inflated }));
    if (outcome.limit !== undefined) {
      addGap(nested(context, name), `git-pack-inflate-limit: ${outcome.limit}; the rest is raw bytes only`);
      return;
    }
    if (outcome.error !== undefined) {
      addGap(context, `corrupt-git-pack: object ${index} does not inflate; the rest is raw bytes only`);
      return;
    }
    await reader.skip(4);
  }
  if (deltas > 0)
    addGap(context, `git-pack-deltas: ${deltas} deltified objects scanned as delta data, not applied to their bases`);
}
