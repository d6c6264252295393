import { constants, createReadStream } from "node:fs";
import { open, unlink } from "node:fs/promises";
import { join, posix } from "node:path";
import { randomBytes } from "node:crypto";
import { ByteReader } from "./byte-reader.js";
import { unsupportedArchive } from "./errors.js";
import type { ByteSink, LayerDecoder, RewriteContext, RewriteWalk, ScanWalk } from "./layer-decoder.js";
import { addGap, nested, type StreamContext } from "./scan-context.js";
import { tarEntries, type TarEntry } from "./tar-entries.js";
import { BLOCK, isUnsafeArchivePath, looksLikeTar, paddedSize, withSize } from "./tar-header.js";

function linkEscapes(name: string, target: string, symbolic: boolean): boolean {
  if (isUnsafeArchivePath(target) && !symbolic) return true;
  if (target.startsWith("/")) return true;
  const resolved = symbolic ? posix.normalize(posix.join(posix.dirname(name), target)) : posix.normalize(target);
  return resolved === ".." || resolved.startsWith("../");
}

/** Scans one entry: links are checked, regular members walked as streams of their own, other data is a gap. */
async function scanEntry(reader: ByteReader, entry: TarEntry, context: StreamContext, walk: ScanWalk): Promise<void> {
  const { name, linkName, size, type, typeFlag } = entry.header;
  const member = nested(context, name);
  if (type === "symlink" || type === "hardlink") {
    if (linkEscapes(name, linkName, type === "symlink"))
      addGap(member, `unsafe-link-target: ${type} points outside the archive root`);
  } else if (type === "file") {
    if (isUnsafeArchivePath(name))
      addGap(member, "unsafe-member-path: absolute or `..` member name (content still scanned)");
    const data = new ByteReader(reader.take(size));
    if (size > context.limits.maxArchiveBytes && walk.opens(await data.peek(BLOCK))) {
      addGap(member, `archive-size-limit: member of ${size} bytes over ${context.limits.maxArchiveBytes}`);
    } else await walk.child({ name, reader: data });
  } else if (type === "other" && size > 0) {
    // Sparse files, multi-volume parts and unknown types carry data we do not decode.
    addGap(member, `unsupported-member-type: tar type '${typeFlag}' not scanned`);
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
  const { name, size, type } = entry.header;
  const padded = paddedSize(size);
  if (type !== "file" || !context.dirty.has([...context.members, name].join("!"))) {
    await writeAll(out, [...entry.extended, entry.block]);
    return copyExact(reader, padded, out);
  }
  const data = new ByteReader(reader.take(size));
  if (!walk.opens(await data.peek(BLOCK))) {
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

/** tar (ustar, GNU, pax) by its ustar magic and header checksum. Nothing is extracted; members are streams. */
export const tarLayer: LayerDecoder = {
  kind: "tar",
  detect: looksLikeTar,

  async open(reader, context, walk) {
    for await (const item of tarEntries(reader)) {
      if (item.kind === "entry") await scanEntry(reader, item, context, walk);
      else if (item.kind === "damage")
        addGap(item.member === undefined ? context : nested(context, item.member), item.reason);
    }
    // After the end-of-archive blocks (or the damage): read, not yet scanned (issue 13 scans it).
    await reader.drain();
  },

  async rewrite(reader, context, out, walk) {
    for await (const item of tarEntries(reader)) {
      if (item.kind === "damage") throw unsupportedArchive(`cannot redact a damaged tar archive (${item.reason})`);
      if (item.kind === "entry") {
        await rewriteEntry(reader, item, context, out, walk);
        continue;
      }
      // The end blocks and whatever follows them are kept verbatim.
      await writeAll(out, [...item.extended, item.block]);
      for await (const chunk of reader.take(Number.MAX_SAFE_INTEGER)) await out.write(chunk);
    }
  },
};
