import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { stringContaining, type TestDir } from "@connect-ops/test-support";
import { build } from "rolldown";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FileEntry } from "./file-list.js";
import type { FileResult, ScanSettings } from "./scan-file.js";
import { scanPath } from "./scan-path.js";
import { scanOnThreads, threadCount, THREADED_BYTES } from "./scan-threads.js";
import { DEFAULT_LIMITS, DEFAULT_MAX_DEPTH, type Finding } from "./scan-types.js";
import { testCredentials } from "./test-support/credentials.js";
import { buildPlantedSnapshots, tempDir } from "./test-support/snapshot-fixture.js";
import { walkTree } from "./tree-walk.js";

/**
 * The scan threads run the built worker entry (the CLI bundle ships it as
 * scan-worker.mjs): built here from the sources the same way, so the threads
 * under test are real worker threads running this package's layer walk.
 */
let workDir: TestDir;
let script: URL;

beforeAll(async () => {
  workDir = tempDir("scan-threads-");
  const file = join(workDir.path, "scan-worker.mjs");
  await build({
    input: fileURLToPath(new URL("./scan-worker.ts", import.meta.url)),
    platform: "node",
    // As the CLI bundle: Node 20 has no `using` syntax.
    transform: { target: "node20" },
    resolve: { conditionNames: ["@connect-ops/source", "node", "import", "default"] },
    external: [/^ssh2(\/|$)/, /^cpu-features/],
    output: { file, format: "esm", codeSplitting: false },
  });
  script = pathToFileURL(file);
}, 60_000);

afterAll(() => workDir[Symbol.dispose]());

const credentials = testCredentials();
const settings: ScanSettings = { matcher: credentials.matcher, limits: DEFAULT_LIMITS, maxDepth: DEFAULT_MAX_DEPTH };

async function onThreads(
  path: string,
  options: { script: URL; count: number },
): Promise<{ results: Map<string, FileResult>; leftover: FileEntry[]; failures: string[]; files: number }> {
  const listing = await walkTree(path);
  const results = new Map<string, FileResult>();
  const { leftover, failures } = await scanOnThreads(
    listing.files.scheduled(),
    settings,
    { ...options, perThread: 3 },
    (file, result) => results.set(file.path, result),
  );
  return { results, leftover, failures, files: listing.files.count };
}

const key = (finding: Finding): string => JSON.stringify(finding);

describe("scan threads", () => {
  it("find on two threads exactly what one thread finds, in every file of a planted snapshot", async () => {
    using dir = tempDir();
    const fixture = buildPlantedSnapshots(dir.path, credentials);
    const single = await scanPath(fixture.dataDir, { matcher: credentials.matcher, threads: 0 });
    const { results, leftover, failures, files } = await onThreads(fixture.dataDir, { script, count: 2 });
    expect(failures).toEqual([]);
    expect(leftover).toEqual([]);
    expect(results.size).toBe(files);
    const threaded = [...results.values()].flatMap((result) => result.findings);
    expect(threaded.map(key).sort()).toEqual(single.findings.map(key).sort());
    expect(threaded.length).toBeGreaterThan(10);
    // The layers each thread opened are counted as on one thread.
    const layers: Record<string, number> = {};
    for (const result of results.values())
      for (const [kind, count] of Object.entries(result.layers)) layers[kind] = (layers[kind] ?? 0) + count;
    expect(layers).toEqual(single.layersDecoded);
  });

  it("hand back every file when a thread cannot start: nothing is left unread", async () => {
    using dir = tempDir();
    const fixture = buildPlantedSnapshots(dir.path, credentials);
    const broken = join(dir.path, "broken-worker.mjs");
    writeFileSync(broken, 'throw new Error("this worker does not start");\n');
    const { results, leftover, failures, files } = await onThreads(fixture.newSnapshot, {
      script: pathToFileURL(broken),
      count: 2,
    });
    expect(failures).toEqual(["this worker does not start", "this worker does not start"]);
    expect(results.size).toBe(0);
    expect(leftover).toHaveLength(files);
  });

  it("hand back the files in flight of a thread that dies midway; the others finish the rest", async () => {
    using dir = tempDir();
    const fixture = buildPlantedSnapshots(dir.path, credentials);
    // A thread that answers two files, then exits with its next files still in flight.
    const dying = join(dir.path, "dying-worker.mjs");
    writeFileSync(
      dying,
      [
        'import { parentPort } from "node:worker_threads";',
        "let answered = 0;",
        "parentPort.on('message', ({ id }) => {",
        "  if (answered++ === 2) process.exit(1);",
        "  parentPort.postMessage({ id, result: { findings: [], gaps: [], layers: {} } });",
        "});",
      ].join("\n"),
    );
    const { results, leftover, failures, files } = await onThreads(fixture.newSnapshot, {
      script: pathToFileURL(dying),
      count: 2,
    });
    expect(failures).toEqual(
      expect.arrayContaining([expect.stringContaining("exited (code 1) before its files were read")]),
    );
    expect(results.size).toBeGreaterThan(0);
    expect(leftover.length).toBeGreaterThan(0);
    // Every file is either answered or handed back, none both.
    const answered = new Set(results.keys());
    expect(leftover.filter((file) => answered.has(file.path))).toEqual([]);
    expect(results.size + leftover.length).toBe(files);
  });

  it("are used for big trees on two cores or more, never below 64 MiB, and the setting overrides", () => {
    expect(threadCount(THREADED_BYTES - 1, {})).toBe(0);
    expect(threadCount(THREADED_BYTES, { CONNECT_OPS_SCAN_THREADS: "3" })).toBe(3);
    expect(threadCount(THREADED_BYTES, { CONNECT_OPS_SCAN_THREADS: "0" })).toBe(0);
    expect(threadCount(10, { CONNECT_OPS_SCAN_THREADS: "2" })).toBe(2);
    for (const bad of ["two", "-1", "17", "1.5", "999"])
      expect(() => threadCount(THREADED_BYTES, { CONNECT_OPS_SCAN_THREADS: bad }), bad).toThrow(
        expect.objectContaining({
          code: "BACKUP_CONFIG_INVALID",
          message: stringContaining("not a thread count"),
        }),
      );
  });
});
