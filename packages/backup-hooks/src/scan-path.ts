import { Readable } from "node:stream";
import { ByteReader } from "./byte-reader.js";
import { scanLayers } from "./layer-walk.js";
import { fileContext, scanEntry, scanSettings, type FileResult } from "./scan-file.js";
import { scanOnThreads, threadCount, workerScript } from "./scan-threads.js";
import { type Finding, type Gap, type LayeredFile, type ScanOptions, type ScanResult } from "./scan-types.js";
import { walkTree, type FileEntry } from "./tree-walk.js";

/**
 * Scans a snapshot, a data dir, or one file/archive for residue of the
 * credentials, from fingerprints only. Never writes, never follows symlinks
 * inside the tree. Returns findings (no secret bytes) and gaps (what could not
 * be read). Throws only when `path` itself cannot be listed.
 */
export async function scanPath(path: string, options: ScanOptions): Promise<ScanResult> {
  const listing = await walkTree(path, { crossMounts: options.crossMounts === true });
  const settings = scanSettings(options);
  const findings: Finding[] = [];
  const gaps: Gap[] = [...listing.gaps];
  const totalBytes = listing.files.totalBytes;
  const layered: LayeredFile[] = [];
  let filesScanned = 0;
  let bytesScanned = 0;
  const gather = (file: FileEntry, result: FileResult): void => {
    findings.push(...result.findings);
    gaps.push(...result.gaps);
    if (Object.keys(result.layers).length > 0)
      layered.push({ path: file.path, linkedPaths: file.linkedPaths, layers: result.layers });
    filesScanned += 1 + file.linkedPaths.length;
    bytesScanned += file.size;
    options.onProgress?.({ filesScanned, bytesScanned, totalBytes });
  };
  const perThread = Math.max(1, options.concurrency ?? 3);
  // One iterator shared by everyone reading: entries are made as they are taken.
  let queue: Iterator<FileEntry, void> = listing.files.scheduled();
  const threads = options.threads ?? threadCount(totalBytes);
  const script = threads > 0 ? workerScript() : undefined;
  if (script !== undefined) {
    // What a failed thread held, and the rest if every thread failed, is read here: never skipped.
    const { leftover, failures } = await scanOnThreads(queue, settings, { script, count: threads, perThread }, gather);
    await options.onThreads?.({ threads, failures });
    queue = leftover[Symbol.iterator]();
  } else if (threads > 0) await options.onThreads?.({ threads: 0, failures: [] });
  const reader = async (): Promise<void> => {
    for (let next = queue.next(); next.done !== true; next = queue.next())
      gather(next.value, await scanEntry(next.value, settings));
  };
  await Promise.all(Array.from({ length: perThread }, reader));
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
  const settings = scanSettings(options);
  const findings: Finding[] = [];
  const gaps: Gap[] = [];
  const layered: LayeredFile[] = [];
  let bytesScanned = 0;
  for (const file of files) {
    const layers = new Map<string, number>();
    const context = fileContext(settings, { path: file.path, linkedPaths: undefined }, { findings, gaps, layers });
    await scanLayers(new ByteReader(Readable.from([file.bytes])), context);
    bytesScanned += file.bytes.byteLength;
    if (layers.size > 0) layered.push({ path: file.path, linkedPaths: [], layers: Object.fromEntries(layers) });
  }
  sortFindings(findings);
  return { findings, gaps, filesScanned: files.length, bytesScanned, ...layerTotals(layered) };
}
