import { closeSync, constants, createReadStream, fstatSync, openSync, readSync } from "node:fs";
import { basename, dirname } from "node:path";
import type { ResidueMatcher } from "@connect-ops/connection-core";
import { ByteReader } from "./byte-reader.js";
import type { FileEntry } from "./file-list.js";
import { HEAD_BYTES, decoderFor, leafScanner, scanLayers } from "./layer-walk.js";
import { addGap, type StreamContext } from "./scan-context.js";
import {
  DEFAULT_LIMITS,
  DEFAULT_MAX_DEPTH,
  type AgeAudit,
  type Finding,
  type Gap,
  type ScanLimits,
  type ScanOptions,
} from "./scan-types.js";
import { readSealedCopy } from "./sealed-copy.js";
import type { WindowScanner } from "./window-scanner.js";

const READ_STREAM_CHUNK = 1024 * 1024;

/** What every file of one scan is judged with: the same on the main thread and in each scan thread. */
export interface ScanSettings {
  readonly matcher: ResidueMatcher;
  readonly limits: ScanLimits;
  readonly maxDepth: number;
  readonly age?: AgeAudit;
}

/** The settings of a scan's options, with the default limits and depth filled in. */
export function scanSettings(options: ScanOptions): ScanSettings {
  return {
    matcher: options.matcher,
    limits: { ...DEFAULT_LIMITS, ...options.limits },
    maxDepth: options.maxDepth ?? DEFAULT_MAX_DEPTH,
    ...(options.age === undefined ? {} : { age: options.age }),
  };
}

/** The context of one file's top stream: its findings, gaps and opened layers go where the caller says. */
export function fileContext(
  settings: ScanSettings,
  file: { readonly path: string; readonly linkedPaths: readonly string[] | undefined },
  results: { readonly findings: Finding[]; readonly gaps: Gap[]; readonly layers: Map<string, number> },
): StreamContext {
  return {
    matcher: settings.matcher,
    limits: settings.limits,
    maxDepth: settings.maxDepth,
    path: file.path,
    members: [],
    depth: 0,
    linkedPaths: file.linkedPaths,
    ...results,
    ...(settings.age === undefined ? {} : { age: settings.age }),
  };
}

/** What one file holds: its findings and gaps, and the layers opened to read it (by decoder kind). */
export interface FileResult {
  readonly findings: Finding[];
  readonly gaps: Gap[];
  readonly layers: Record<string, number>;
}

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

/** Reads one file of a listing through the layer walk (the vault's own sealed copy by its manifest). */
export async function scanEntry(file: FileEntry, settings: ScanSettings): Promise<FileResult> {
  const findings: Finding[] = [];
  const gaps: Gap[] = [];
  const layers = new Map<string, number>();
  if (isSealedCopy(file.path)) {
    const sealed = await readSealedCopy(file, settings.matcher);
    findings.push(sealed.finding);
    if (sealed.gap) gaps.push(sealed.gap);
  } else await scanFile(file, fileContext(settings, file, { findings, gaps, layers }));
  return { findings, gaps, layers: Object.fromEntries(layers) };
}
