import { constants, createReadStream, createWriteStream } from "node:fs";
import { open, stat, type FileHandle } from "node:fs/promises";
import { join } from "node:path";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGunzip, createGzip } from "node:zlib";
import { randomBytes } from "node:crypto";
import type { ResidueMatcher } from "@connect-ops/connection-core";
import { ByteReader } from "./byte-reader.js";
import { BackupError } from "./errors.js";
import { isGzip } from "./scan-context.js";
import { BLOCK, isZeroBlock, looksLikeTar, paddedSize, parsePax, parseTarHeader, withSize } from "./tar-header.js";
import { WindowScanner, type ChunkSink } from "./window-scanner.js";

/** What a rewrite needs: the members that hold findings, and a private scratch dir inside the snapshot. */
export interface RewriteContext {
  readonly matcher: ResidueMatcher;
  /** Member chains (joined with `!`, "" for the file itself) holding findings, with all their prefixes. */
  readonly dirty: ReadonlySet<string>;
  readonly scratchDir: string;
  readonly maxDepth: number;
  /** Inflated bytes allowed per gzip stream: a bomb is refused, not written to scratch. */
  readonly maxInflatedBytes: number;
}

function inflateLimiter(limit: number): Transform {
  let total = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      total += chunk.length;
      if (total > limit) {
        callback(
          new BackupError("BACKUP_UNSUPPORTED_ARCHIVE", `a gzip stream inflates to more than ${limit} bytes; not redacted`, {
            category: "input",
            hint: "inspect the archive by hand (it may be a gzip bomb) or raise limits.maxInflatedBytes",
          }),
        );
      } else callback(null, chunk);
    },
  });
}

/** zlib's own errors (`Z_BUF_ERROR` for a damaged trailer, `Z_DATA_ERROR`, …) carry a `Z_` code. */
function isZlibError(error: unknown): error is Error & { code: string } {
  return error instanceof Error && /^Z_[A-Z_]+$/.test(String((error as { code?: unknown }).code));
}

/** A damaged gzip stream is a per-file failure of the rewrite, like a truncated tar: never zlib's raw error. */
function asArchiveError(error: unknown): unknown {
  if (!isZlibError(error)) return error;
  return new BackupError("BACKUP_UNSUPPORTED_ARCHIVE", `cannot redact a damaged gzip stream (${error.code}: ${error.message})`, {
    category: "input",
    hint: "the archive is damaged; restore it from another snapshot or remove it, then run redact again",
    cause: error,
  });
}

function scratchFile(context: RewriteContext): string {
  return join(context.scratchDir, randomBytes(8).toString("hex"));
}

async function createExclusive(path: string): Promise<FileHandle> {
  return open(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
}

function sinkTo(handle: FileHandle): ChunkSink {
  return async (chunk) => {
    await handle.write(chunk);
  };
}

/** Patches secrets in plain bytes, same length, streaming. */
async function rewritePlain(chunks: AsyncIterable<Uint8Array>, sink: ChunkSink, matcher: ResidueMatcher): Promise<void> {
  const scanner = new WindowScanner(matcher, () => undefined, sink);
  try {
    for await (const chunk of chunks) await scanner.push(chunk);
    await scanner.finish();
  } finally {
    scanner.release();
  }
}

/**
 * Writes a redacted copy of `input` to `output` (a new file). gzip streams are
 * inflated to scratch, rewritten and deflated again; tar archives are rebuilt
 * member by member; anything else is patched in place of its bytes.
 */
export async function rewriteFile(input: string, output: string, chain: readonly string[], depth: number, context: RewriteContext): Promise<void> {
  const head = Buffer.alloc(BLOCK);
  const probe = await open(input, constants.O_RDONLY | constants.O_NOFOLLOW);
  const { bytesRead } = await probe.read(head, 0, BLOCK, 0).finally(() => probe.close());
  const sniffed = head.subarray(0, bytesRead);
  const nestedAllowed = depth + 1 <= context.maxDepth;
  if (isGzip(sniffed) && nestedAllowed) {
    const inflated = scratchFile(context);
    const rewritten = scratchFile(context);
    try {
      await pipeline(createReadStream(input), createGunzip(), inflateLimiter(context.maxInflatedBytes), createWriteStream(inflated, { flags: "wx", mode: 0o600 }));
      await rewriteFile(inflated, rewritten, chain, depth + 1, context);
      await pipeline(createReadStream(rewritten), createGzip(), createWriteStream(output, { flags: "wx", mode: 0o600 }));
    } catch (error) {
      throw asArchiveError(error);
    }
    return;
  }
  const out = await createExclusive(output);
  try {
    const reader = createReadStream(input, { highWaterMark: 1024 * 1024 });
    if (looksLikeTar(sniffed) && nestedAllowed) await rewriteTar(new ByteReader(reader), out, chain, depth + 1, context);
    else await rewritePlain(reader, sinkTo(out), context.matcher);
    await out.sync();
  } finally {
    await out.close();
  }
}

async function copyExact(reader: ByteReader, length: number, out: FileHandle): Promise<void> {
  let copied = 0;
  for await (const chunk of reader.take(length)) {
    await out.write(chunk);
    copied += chunk.length;
  }
  if (copied < length) {
    throw new BackupError("BACKUP_UNSUPPORTED_ARCHIVE", "cannot redact a truncated tar archive", {
      category: "input",
      hint: "the archive is damaged; restore it from another snapshot or remove it, then run redact again",
    });
  }
}

/** Rebuilds a tar: untouched members are copied byte for byte, members with findings are rewritten. */
async function rewriteTar(reader: ByteReader, out: FileHandle, chain: readonly string[], depth: number, context: RewriteContext): Promise<void> {
  let pending: Buffer[] = [];
  let pax: Record<string, string> = {};
  let longName: string | undefined;
  for (;;) {
    const block = await reader.read(BLOCK);
    if (block.length < BLOCK || isZeroBlock(block)) {
      await out.write(block);
      for await (const chunk of reader.take(Number.MAX_SAFE_INTEGER)) await out.write(chunk);
      return;
    }
    const header = parseTarHeader(block);
    if (!header) throw new BackupError("BACKUP_UNSUPPORTED_ARCHIVE", "cannot redact a tar archive with a corrupt header", { category: "input" });
    const size = pax.size === undefined ? header.size : Number(pax.size);
    if (header.type === "pax" || header.type === "gnu-longname" || header.type === "gnu-longlink") {
      const body = await reader.read(paddedSize(size));
      if (header.type === "pax") pax = { ...pax, ...parsePax(body.subarray(0, size)) };
      if (header.type === "gnu-longname") longName = body.subarray(0, size).toString("utf8").replace(/\0.*$/s, "");
      pending.push(block, body);
      continue;
    }
    const name = pax.path ?? longName ?? header.name;
    const memberChain = [...chain, name];
    const key = memberChain.join("!");
    const sizeFromPax = pax.size !== undefined;
    pax = {};
    longName = undefined;
    const extended = pending;
    pending = [];
    if (header.type !== "file" || !context.dirty.has(key)) {
      for (const part of extended) await out.write(part);
      await out.write(block);
      await copyExact(reader, paddedSize(size), out);
      continue;
    }
    const memberHead = await reader.peek(BLOCK);
    if (!isGzip(memberHead) && !looksLikeTar(memberHead)) {
      for (const part of extended) await out.write(part);
      await out.write(block);
      await rewritePlain(reader.take(size), sinkTo(out), context.matcher);
      await copyExact(reader, paddedSize(size) - size, out);
      continue;
    }
    const extracted = scratchFile(context);
    const rewritten = scratchFile(context);
    const scratch = await createExclusive(extracted);
    try {
      await copyExact(reader, size, scratch);
    } finally {
      await scratch.close();
    }
    await reader.skip(paddedSize(size) - size);
    await rewriteFile(extracted, rewritten, memberChain, depth, context);
    const newSize = (await stat(rewritten)).size;
    if (sizeFromPax && newSize !== size) {
      throw new BackupError("BACKUP_UNSUPPORTED_ARCHIVE", `cannot rebuild member ${key}: its size is in a pax header`, { category: "input" });
    }
    for (const part of extended) await out.write(part);
    await out.write(withSize(block, newSize));
    for await (const chunk of createReadStream(rewritten)) await out.write(chunk as Buffer);
    await out.write(Buffer.alloc(paddedSize(newSize) - newSize));
  }
}
