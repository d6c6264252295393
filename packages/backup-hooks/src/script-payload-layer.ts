import { HEAD_BYTES, type LayerDecoder } from "./layer-decoder.js";

/** Bytes a text head may hold: printable ASCII, UTF-8, tab, LF, CR, FF, ESC; never NUL or other controls. */
function isTextByte(byte: number): boolean {
  return byte >= 0x20 || byte === 0x09 || byte === 0x0a || byte === 0x0c || byte === 0x0d || byte === 0x1b;
}

/** The member name of the archive after a script's text (`install.sh!(payload at byte 312)!etc/token`). */
export function payloadName(offset: number): string {
  return `(payload at byte ${offset})`;
}

/** How far before the first binary byte a payload may start: its magic and header can look like text (`BZh91AY&SY`). */
const MAGIC_REACH = 64;

/**
 * Where a payload starts in `head`: a line start of the text, just before the
 * first binary byte (NUL or a control), where one of `payloads` detects its
 * format. Undefined when the head is not text up to such a point.
 */
function payloadOffset(head: Uint8Array, payloads: readonly LayerDecoder[]): number | undefined {
  let binary = 0;
  while (binary < head.length && isTextByte(head[binary] ?? 0)) binary += 1;
  if (binary === head.length) return undefined;
  for (let start = Math.max(1, binary - MAGIC_REACH); start <= binary; start += 1) {
    if (head[start - 1] !== 0x0a) continue;
    const rest = head.subarray(start);
    if (payloads.some((decoder) => decoder.detect(rest))) return start;
  }
  return undefined;
}

/**
 * A script (or any text) with an archive appended, as self-extracting
 * installers (makeself, `cat install.sh payload.tar.gz`) are: the text is one
 * child, the payload another (named by its offset), each walked as streams of
 * their own. Found within the first HEAD_BYTES only, where the text ends at a
 * line start and a compression's magic follows (gzip, zlib, xz, zstd, bzip2);
 * an archive later in a text file is still read by the raw scan as bytes.
 */
export function scriptPayloadLayer(payloads: readonly LayerDecoder[]): LayerDecoder {
  return {
    kind: "script-payload",
    detect: (head) => payloadOffset(head.subarray(0, HEAD_BYTES), payloads) !== undefined,

    async open(reader, _context, walk) {
      const offset = payloadOffset(await reader.peek(HEAD_BYTES), payloads) ?? 0;
      await walk.child({ reader: walk.slice(offset) });
      await walk.child({ name: payloadName(offset), reader: walk.slice(Number.MAX_SAFE_INTEGER) });
    },

    async rewrite(reader, context, out, walk) {
      const offset = payloadOffset(await reader.peek(HEAD_BYTES), payloads) ?? 0;
      await walk.child({ reader: walk.slice(offset) }, out);
      const payload = walk.slice(Number.MAX_SAFE_INTEGER);
      if (context.dirty.has([...context.members, payloadName(offset)].join("!")))
        await walk.child({ name: payloadName(offset), reader: payload }, out);
      else for await (const chunk of payload.take(Number.MAX_SAFE_INTEGER)) await out.write(chunk);
    },
  };
}
