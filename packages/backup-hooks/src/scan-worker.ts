import { parentPort, workerData } from "node:worker_threads";
import { createResidueMatcher } from "@connect-ops/connection-core";
import type { FileEntry } from "./file-list.js";
import { scanEntry, type ScanSettings } from "./scan-file.js";
import type { ThreadInit, ThreadReply, ThreadRequest } from "./scan-threads.js";

/**
 * Entry of a scan thread (scan-threads.ts): rebuilds the matcher from the
 * secret-free sets it is started with, then reads each file it is handed and
 * posts back the findings, gaps and layers. It writes nothing anywhere.
 */
if (parentPort !== null) {
  const port = parentPort;
  const init = workerData as ThreadInit;
  const settings: ScanSettings = {
    matcher: createResidueMatcher(init.sets),
    limits: init.limits,
    maxDepth: init.maxDepth,
    ...(init.age === undefined ? {} : { age: init.age }),
  };
  port.on("message", ({ id, file }: ThreadRequest) => {
    // A path's bytes arrive as a plain Uint8Array: fs opens only a Buffer, string or URL.
    const entry: FileEntry =
      file.raw === undefined
        ? file
        : { ...file, raw: Buffer.from(file.raw.buffer, file.raw.byteOffset, file.raw.length) };
    scanEntry(entry, settings).then(
      (result) => port.postMessage({ id, result } satisfies ThreadReply),
      (error: unknown) =>
        port.postMessage({ id, error: error instanceof Error ? error.message : String(error) } satisfies ThreadReply),
    );
  });
}
