import { closeSync, constants, createReadStream, fstatSync, openSync, readSync } from "node:fs";
import { basename, dirname } from "node:path";
import { Readable } from "node:stream";
import { ByteReader } from "./byte-reader.js";
import { HEAD_BYTES, decoderFor, leafScanner, scanLayers } from "./layer-walk.js";
import { addGap, type StreamContext } from "./scan-context.js";
import {
  DEFAULT_LIMITS,
  DEFAULT_MAX_DEPTH,
  type Finding,
  type Gap,
  type LayeredFile,
  type ScanOptions,
  type ScanResult,
} from "./scan-types.js";
import { readSealedCopy } from "./sealed-copy.js";
import { walkTree, type FileEntry } from "./tree-walk.js";
import type { WindowScanner } from "./window-scanner.js";

const READ_STREAM_CHUNK = 1024 * 1024;

function isSealedCopy(path: string): boolean {
  return basename(path) === "credentials.age" && basename(dirname(path)) === "github-connect";
}

/** Lets zlib callbacks (the gzip streams in flight) run between windows of synchronous work. */
function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Plain files are read synchronously straight into the window: from the page
 * cache that is a memcpy, while an async read per file costs a thread-pool
 * round trip (thousands of small files made that the bottleneck).
 */
async function scanPlainFile(fd: number, scanner: WindowScanner, position: number): Promise<void> {
  let offset = position;
  for (;;) {
    await yieldToEventLoop();
    const bytesRead = readSync(fd, scanner.buffer, scanner.freeStart, scanner.freeLength, offset);
    if (bytesRead === 0) break;
    offset += bytesRead;
    await scanner.commit(bytesRead);
  }
  await scanner.finish();
}

async function scanFile(file: FileEntry, context: StreamContext): Promise<void> {
  let fd: number;
  try {
    // O_NONBLOCK: a file swapped for a FIFO after the listing must not block the open (regular files ignore it).
    fd = openSync(file.raw ?? file.path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    addGap(context, `unreadable-file: ${(error as NodeJS.ErrnoException).code ?? "error"}`);
    return;
  }
  if (!fstatSync(fd).isFile()) {
    closeSync(fd);
    addGap(context, "not-a-regular-file: it changed since the listing (a FIFO, device or socket is never read)");
    return;
  }
  const scanner = leafScanner(context);
  let handedOver = false;
  try {
    // The first read goes straight into the window; only layered files (archives) are re-read as a stream.
    const bytesRead = readSync(fd, scanner.buffer, 0, scanner.freeLength, 0);
    if (decoderFor(scanner.buffer.subarray(0, Math.min(bytesRead, HEAD_BYTES))) !== undefined) {
      scanner.release();
      if (file.size > context.limits.maxArchiveBytes) {
        addGap(context, `archive-size-limit: ${file.size} bytes over ${context.limits.maxArchiveBytes}`);
        return;
      }
      handedOver = true;
      const stream = createReadStream("", { fd, start: 0, highWaterMark: READ_STREAM_CHUNK, autoClose: true });
      await scanLayers(new ByteReader(stream), context);
      return;
    }
    await scanner.commit(bytesRead);
    if (bytesRead > 0) await scanPlainFile(fd, scanner, bytesRead);
    else await scanner.finish();
    scanner.release();
  } catch (error) {
    addGap(context, `read-error: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  } finally {
    if (!handedOver) closeSync(fd);
  }
}

/**
 * Scans a snapshot, a data dir, or one file/archive for residue of the
 * credentials, from fingerprints only. Never writes, never follows symlinks
 * inside the tree. Returns findings (no secret bytes) and gaps (what could not
 * be read). Throws only when `path` itself cannot be listed.
 */
export async function scanPath(path: string, options: ScanOptions): Promise<ScanResult> {
  const listing = await walkTree(path, { crossMounts: options.crossMounts === true });
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  const findings: Finding[] = [];
  const gaps: Gap[] = [...listing.gaps];
  const totalBytes = listing.files.totalBytes;
  const layered: LayeredFile[] = [];
  let filesScanned = 0;
  let bytesScanned = 0;
  // One iterator shared by the workers: entries are made as they are taken.
  const queue = listing.files.scheduled();
  const worker = async (): Promise<void> => {
    for (let next = queue.next(); next.done !== true; next = queue.next()) {
      const file = next.value;
      const context: StreamContext = {
        matcher: options.matcher,
        limits,
        maxDepth: options.maxDepth ?? DEFAULT_MAX_DEPTH,
        path: file.path,
        members: [],
        depth: 0,
        linkedPaths: file.linkedPaths,
        findings,
        gaps,
        layers: new Map(),
        ...(options.age === undefined ? {} : { age: options.age }),
      };
      if (isSealedCopy(file.path)) {
        const sealed = await readSealedCopy(file, options.matcher);
        findings.push(sealed.finding);
        if (sealed.gap) gaps.push(sealed.gap);
      } else await scanFile(file, context);
      if (context.layers !== undefined && context.layers.size > 0)
        layered.push({ path: file.path, linkedPaths: file.linkedPaths, layers: Object.fromEntries(context.layers) });
      filesScanned += 1 + file.linkedPaths.length;
      bytesScanned += file.size;
      options.onProgress?.({ filesScanned, bytesScanned, totalBytes });
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency ?? 3) }, worker));
  sortFindings(findings);
  return { findings, gaps, filesScanned, bytesScanned, ...layerTotals(layered) };
}

function layerTotals(layered: LayeredFile[]): Pick<ScanResult, "layersDecoded" | "layeredFiles"> {
  const total = new Map<string, number>();
  for (const file of layered)
    for (const [kind, count] of Object.entries(file.layers)) total.set(kind, (total.get(kind) ?? 0) + count);
  return {
    layersDecoded: Object.fromEntries(total),
    layeredFiles: layered.sort((a, b) => a.path.localeCompare(b.path)),
  };
}

function sortFindings(findings: Finding[]): void {
  findings.sort(
    (a, b) => a.path.localeCompare(b.path) || (a.member ?? "").localeCompare(b.member ?? "") || a.offset - b.offset,
  );
}

/** One file's bytes already in memory, named by where they came from (a node's `host:path`). */
export interface InMemoryFile {
  readonly path: string;
  readonly bytes: Uint8Array;
}

/**
 * Scans files held in memory (read from a node over SSH) through the same
 * layer walk as `scanPath`: nothing is written anywhere. Findings and gaps
 * carry each file's `path` as given. Never throws for bad input.
 */
export async function scanBuffers(files: readonly InMemoryFile[], options: ScanOptions): Promise<ScanResult> {
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  const findings: Finding[] = [];
  const gaps: Gap[] = [];
  const layered: LayeredFile[] = [];
  let bytesScanned = 0;
  for (const file of files) {
    const context: StreamContext = {
      matcher: options.matcher,
      limits,
      maxDepth: options.maxDepth ?? DEFAULT_MAX_DEPTH,
      path: file.path,
      members: [],
      depth: 0,
      linkedPaths: undefined,
      findings,
      gaps,
      layers: new Map(),
      ...(options.age === undefined ? {} : { age: options.age }),
    };
    await scanLayers(new ByteReader(Readable.from([file.bytes])), context);
    bytesScanned += file.bytes.byteLength;
    if (context.layers !== undefined && context.layers.size > 0)
      layered.push({ path: file.path, linkedPaths: [], layers: Object.fromEntries(context.layers) });
  }
  sortFindings(findings);
  return { findings, gaps, filesScanned: files.length, bytesScanned, ...layerTotals(layered) };
}
