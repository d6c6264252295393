import { constants, createReadStream } from "node:fs";
import { open, unlink } from "node:fs/promises";
import { join, posix } from "node:path";
import { randomBytes } from "node:crypto";
import type { ByteReader } from "./byte-reader.js";
import { unsupportedArchive } from "./errors.js";
import {
  HEAD_BYTES,
  type ByteSink,
  type LayerDecoder,
  type RewriteContext,
  type RewriteWalk,
  type ScanWalk,
} from "./layer-decoder.js";
import { addGap, nested, type StreamContext } from "./scan-context.js";
import { tarEntries, type TarEntry } from "./tar-entries.js";
import { BLOCK, isUnsafeArchivePath, isZeroBlock, looksLikeTar, paddedSize, withSize } from "./tar-header.js";

function linkEscapes(name: string, target: string, symbolic: boolean): boolean {
  if (isUnsafeArchivePath(target) && !symbolic) return true;
  if (target.startsWith("/")) return true;
  const resolved = symbolic ? posix.normalize(posix.join(posix.dirname(name), target)) : posix.normalize(target);
  return resolved === ".." || resolved.startsWith("../");
}

/** The data of an entry as a stream of its own: regular files, and what non-file entries (sparse, unknown types) carry. */
function hasData(entry: TarEntry): boolean {
  const { size, type } = entry.header;
  return size > 0 && type !== "symlink" && type !== "hardlink";
}

/** Scans one entry: links are checked, every entry's data (a file's, or a sparse or unknown entry's) walked as a stream. */
async function scanEntry(reader: ByteReader, entry: TarEntry, context: StreamContext, walk: ScanWalk): Promise<void> {
  const { name, linkName, size, type } = entry.header;
  const member = nested(context, name);
  if (type === "symlink" || type === "hardlink") {
    if (linkEscapes(name, linkName, type === "symlink"))
      addGap(member, `unsafe-link-target: ${type} points outside the archive root`);
  }
  if (!hasData(entry)) return;
  if (isUnsafeArchivePath(name))
    addGap(member, "unsafe-member-path: absolute or `..` member name (content still scanned)");
  const data = walk.slice(size);
  if (size > context.limits.maxArchiveBytes && walk.opens(await data.peek(HEAD_BYTES))) {
    addGap(member, `archive-size-limit: member of ${size} bytes over ${context.limits.maxArchiveBytes}`);
  } else await walk.child({ name, reader: data });
}

/** The member name of what follows a tar's end-of-archive blocks (another archive appended, or any data). */
export function afterEndName(offset: number): string {
  return `(after end of archive, byte ${offset})`;
}

/**
 * Skips the zero blocks of the end of archive (GNU tar pads to a 10 KiB
 * record) and returns the offset of the first byte after them, or undefined
 * at the end of the stream. `cat a.tar b.tar` puts a second archive there,
 * which tar itself never reads without `-i`.
 */
async function skipEndBlocks(reader: ByteReader, out?: ByteSink): Promise<number | undefined> {
  for (;;) {
    const head = await reader.peek(BLOCK);
    if (head.length === 0) return undefined;
    if (head.length < BLOCK || !isZeroBlock(head)) return reader.consumed;
    const block = await reader.read(BLOCK);
    if (out !== undefined) await out.write(block);
  }
}

async function writeAll(out: ByteSink, parts: readonly Buffer[]): Promise<void> {
  for (const part of parts) await out.write(part);
}

async function copyExact(reader: ByteReader, length: number, out: ByteSink): Promise<void> {
  let copied = 0;
  for await (const chunk of reader.take(length)) {
    await out.write(chunk);
    copied += chunk.length;
  }
  if (copied < length) throw unsupportedArchive("cannot redact a truncated tar archive");
}

/**
 * A member whose re-encoding may change its size (a nested archive) goes to a
 * scratch file first: the header that precedes it must carry the new size.
 * Only the re-encoded (redacted) bytes are written there; after a failure the
 * file is left to redactSnapshot, which removes the whole scratch dir.
 */
async function spoolMember(
  data: ByteReader,
  name: string,
  context: RewriteContext,
  walk: RewriteWalk,
): Promise<{ path: string; size: number }> {
  const path = join(context.scratchDir, randomBytes(8).toString("hex"));
  const handle = await open(
    path,
    constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
    0o600,
  );
  let size = 0;
  try {
    await walk.child(
      { name, reader: data },
      {
        async write(chunk) {
          await handle.write(chunk);
          size += chunk.length;
        },
      },
    );
  } finally {
    await handle.close();
  }
  return { path, size };
}

/** Rebuilds one entry: untouched entries are copied byte for byte, members holding findings are rewritten. */
async function rewriteEntry(
  reader: ByteReader,
  entry: TarEntry,
  context: RewriteContext,
  out: ByteSink,
  walk: RewriteWalk,
): Promise<void> {
  const { name, size } = entry.header;
  const padded = paddedSize(size);
  if (!hasData(entry) || !context.dirty.has([...context.members, name].join("!"))) {
    await writeAll(out, [...entry.extended, entry.block]);
    // The data as a slice: a clean member is the scan's verdict, not the raw check's (which is for the headers).
    if (hasData(entry)) await copyExact(walk.slice(size), size, out);
    return copyExact(reader, padded - (hasData(entry) ? size : 0), out);
  }
  const data = walk.slice(size);
  if (!walk.opens(await data.peek(HEAD_BYTES))) {
    // Plain bytes: the detectors overwrite secrets with the same length, so the header stands.
    await writeAll(out, [...entry.extended, entry.block]);
    await walk.child({ name, reader: data }, out);
    if (data.consumed < size) throw unsupportedArchive("cannot redact a truncated tar archive");
    return copyExact(reader, padded - size, out);
  }
  const spooled = await spoolMember(data, name, context, walk);
  try {
    if (data.consumed < size) throw unsupportedArchive("cannot redact a truncated tar archive");
    if (entry.sizeFromPax && spooled.size !== size)
      throw unsupportedArchive(`cannot rebuild member ${name}: its size is in a pax header`);
    await writeAll(out, [...entry.extended, withSize(entry.block, spooled.size)]);
    for await (const chunk of createReadStream(spooled.path)) await out.write(chunk as Buffer);
    await out.write(Buffer.alloc(paddedSize(spooled.size) - spooled.size));
  } finally {
    await unlink(spooled.path);
  }
}

/**
 * tar (ustar, GNU, pax, v7) by its header checksum (and the ustar magic, or
 * v7's zeros there). Nothing is extracted; members are streams, and what
 * follows the end-of-archive blocks is a stream too (scanned, not ignored).
 */
export const tarLayer: LayerDecoder = {
  kind: "tar",
  detect: looksLikeTar,

  async open(reader, context, walk) {
    for await (const item of tarEntries(reader)) {
      if (item.kind === "entry") await scanEntry(reader, item, context, walk);
      else if (item.kind === "damage")
        addGap(item.member === undefined ? context : nested(context, item.member), item.reason);
      else {
        const after = await skipEndBlocks(reader);
        if (after !== undefined)
          await walk.child({ name: afterEndName(after), reader: walk.slice(Number.MAX_SAFE_INTEGER) });
      }
    }
    // After damage: not parsed, but the raw scan of this layer reads it.
    await reader.drain();
  },

  async rewrite(reader, context, out, walk) {
    for await (const item of tarEntries(reader)) {
      if (item.kind === "damage") throw unsupportedArchive(`cannot redact a damaged tar archive (${item.reason})`);
      if (item.kind === "entry") {
        await rewriteEntry(reader, item, context, out, walk);
        continue;
      }
      // The end blocks are kept verbatim; what follows them is rewritten as the scan walked it.
      await writeAll(out, [...item.extended, item.block]);
      const after = await skipEndBlocks(reader, out);
      if (after === undefined) continue;
      const rest = walk.slice(Number.MAX_SAFE_INTEGER);
      if (context.dirty.has([...context.members, afterEndName(after)].join("!")))
        await walk.child({ name: afterEndName(after), reader: rest }, out);
      else for await (const chunk of rest.take(Number.MAX_SAFE_INTEGER)) await out.write(chunk);
    }
  },
};
