import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGunzip, type ZlibOptions } from "node:zlib";
import { posix } from "node:path";
import { ByteReader } from "./byte-reader.js";
import { addGap, addHit, isGzip, nested, type StreamContext } from "./scan-context.js";
import { BLOCK, isUnsafeArchivePath, isZeroBlock, looksLikeTar, paddedSize, parsePax, parseTarHeader } from "./tar-header.js";
import { WindowScanner } from "./window-scanner.js";

const INFLATE_CHUNK = 256 * 1024;
const INFLATE_BUFFER = 16 * 1024 * 1024;

class InflateLimitError extends Error {}

/** Scans a stream of unknown format: gzip and tar are opened (depth permitting), anything else is plain bytes. */
export async function scanStream(reader: ByteReader, context: StreamContext): Promise<void> {
  const head = await reader.peek(BLOCK);
  if (isGzip(head)) return scanGzip(reader, context);
  if (looksLikeTar(head)) return scanTar(reader, context);
  return scanPlain(reader, context);
}

async function scanPlain(reader: ByteReader, context: StreamContext): Promise<void> {
  const scanner = new WindowScanner(context.matcher, (hit) => addHit(context, hit));
  try {
    for await (const chunk of reader.take(Number.MAX_SAFE_INTEGER)) await scanner.push(chunk);
    await scanner.finish();
  } finally {
    scanner.release();
  }
}

function depthExceeded(context: StreamContext, kind: string): boolean {
  if (context.depth + 1 <= context.maxDepth) return false;
  addGap(context, `nesting-depth-limit: ${kind} at depth ${context.depth + 1} exceeds maxDepth ${context.maxDepth}`);
  return true;
}

async function scanGzip(reader: ByteReader, context: StreamContext): Promise<void> {
  if (depthExceeded(context, "gzip")) return void (await reader.drain());
  const { maxInflatedBytes, maxInflateRatio, ratioCheckAfterBytes } = context.limits;
  let compressed = 0;
  let inflated = 0;
  const input = Readable.from(
    (async function* counted() {
      for await (const chunk of reader.take(Number.MAX_SAFE_INTEGER)) {
        compressed += chunk.length;
        yield chunk;
      }
    })(),
    { objectMode: false, highWaterMark: INFLATE_CHUNK },
  );
  // zlib runs on the libuv pool: this stream inflates on one core while the
  // main thread scans other files (scanPath runs several files at once).
  // A deep output buffer lets zlib keep inflating while the main thread is busy elsewhere.
  const gunzip = createGunzip({ chunkSize: INFLATE_CHUNK, readableHighWaterMark: INFLATE_BUFFER } as ZlibOptions);
  // pipeline() may reject with its own AbortError when we stop it, so keep ours.
  let limitError: InflateLimitError | undefined;
  try {
    await pipeline(input, gunzip, async (inflatedChunks: AsyncIterable<Buffer>) => {
      const limited = (async function* checked() {
        for await (const chunk of inflatedChunks) {
          inflated += chunk.length;
          if (inflated > maxInflatedBytes) limitError = new InflateLimitError(`inflated size over ${maxInflatedBytes} bytes`);
          else if (inflated > ratioCheckAfterBytes && inflated > compressed * maxInflateRatio) {
            limitError = new InflateLimitError(`inflate ratio over ${maxInflateRatio}:1 (gzip bomb?)`);
          }
          if (limitError) throw limitError;
          yield chunk;
        }
      })();
      await scanStream(new ByteReader(limited), nested(context));
    });
  } catch (error) {
    if (limitError) addGap(context, `gzip-inflate-limit: ${limitError.message}; stopped after ${inflated} bytes`);
    else addGap(context, `corrupt-gzip: ${(error as NodeJS.ErrnoException).code ?? "error"} ${(error as Error).message}`);
  }
  await reader.drain();
}

function linkEscapes(name: string, target: string, symbolic: boolean): boolean {
  if (isUnsafeArchivePath(target) && !symbolic) return true;
  if (target.startsWith("/")) return true;
  const resolved = symbolic ? posix.normalize(posix.join(posix.dirname(name), target)) : posix.normalize(target);
  return resolved === ".." || resolved.startsWith("../");
}

/** Walks tar members without extracting anything; each regular member is scanned as its own stream. */
async function scanTar(reader: ByteReader, context: StreamContext): Promise<void> {
  if (depthExceeded(context, "tar")) return void (await reader.drain());
  let longName: string | undefined;
  let longLink: string | undefined;
  let pax: Record<string, string> = {};
  for (;;) {
    const offset = reader.consumed;
    const block = await reader.read(BLOCK);
    if (block.length === 0) return; // no end-of-archive blocks: tolerated, as GNU tar does
    if (block.length < BLOCK) return addGap(context, `corrupt-tar: truncated header at byte ${offset}`);
    if (isZeroBlock(block)) return void (await reader.drain());
    const header = parseTarHeader(block);
    if (!header) {
      addGap(context, `corrupt-tar: bad header checksum at byte ${offset}`);
      return void (await reader.drain());
    }
    const size = pax.size === undefined ? header.size : Number(pax.size);
    const padded = paddedSize(size);
    if (header.type === "gnu-longname" || header.type === "gnu-longlink" || header.type === "pax") {
      const body = await reader.read(padded);
      if (body.length < padded) return addGap(context, `corrupt-tar: truncated extended header at byte ${offset}`);
      const text = body.subarray(0, size);
      if (header.type === "pax") pax = { ...pax, ...parsePax(text) };
      else if (header.type === "gnu-longname") longName = text.toString("utf8").replace(/\0.*$/s, "");
      else longLink = text.toString("utf8").replace(/\0.*$/s, "");
      continue;
    }
    const name = pax.path ?? longName ?? header.name;
    const link = pax.linkpath ?? longLink ?? header.linkName;
    longName = longLink = undefined;
    pax = {};
    const member = nested(context, name);
    if (header.type === "symlink" || header.type === "hardlink") {
      if (linkEscapes(name, link, header.type === "symlink")) addGap(member, `unsafe-link-target: ${header.type} points outside the archive root`);
    } else if (header.type === "file") {
      if (isUnsafeArchivePath(name)) addGap(member, "unsafe-member-path: absolute or `..` member name (content still scanned)");
      const start = reader.consumed;
      if (size > context.limits.maxArchiveBytes && !(await isPlain(reader))) {
        addGap(member, `archive-size-limit: member of ${size} bytes over ${context.limits.maxArchiveBytes}`);
      } else {
        await scanStream(new ByteReader(reader.take(size)), { ...member, depth: context.depth + 1 });
      }
      const read = reader.consumed - start;
      if (read < size && (await reader.skip(size - read)) < size - read) return addGap(member, "corrupt-tar: truncated member data");
      if ((await reader.skip(padded - size)) < padded - size) return addGap(member, "corrupt-tar: truncated member padding");
      continue;
    }
    // Sparse files, multi-volume parts and unknown types carry data we do not decode.
    if (header.type === "other" && size > 0) addGap(member, `unsupported-member-type: tar type '${header.typeFlag}' not scanned`);
    if ((await reader.skip(padded)) < padded) return addGap(member, "corrupt-tar: truncated entry");
  }
}

async function isPlain(reader: ByteReader): Promise<boolean> {
  const head = await reader.peek(BLOCK);
  return !isGzip(head) && !looksLikeTar(head);
}
