import { constants, readdirSync } from "node:fs";
import { chown, lstat, mkdir, open, readFile, readdir, realpath, rm, utimes } from "node:fs/promises";
import { dirname, join, relative } from "node:path";
import { randomBytes } from "node:crypto";
import { makeDirectories, trackTemp, type ResidueMatcher } from "@connect-ops/connection-core";
import { atomicWriteFile } from "@connect-ops/credential-vault";
import { replaceWith } from "./replace-with.js";
import { BackupError } from "./errors.js";
import { errnoOf, isMissing, unlessMissing } from "./fs-errors.js";
import { assertWritableInside } from "./path-guard.js";
import type { RewriteContext } from "./layer-decoder.js";
import { rewriteFile } from "./redact-file.js";
import { scanPath } from "./scan-path.js";
import {
  DEFAULT_LIMITS,
  DEFAULT_MAX_DEPTH,
  type AgeAudit,
  type Finding,
  type Gap,
  type ScanLimits,
} from "./scan-types.js";
import { isInside } from "./tree-walk.js";

export const CONNECT_DIR = "github-connect";
export const REDACTION_FILE = "redaction.json";

export interface RedactOptions {
  readonly matcher: ResidueMatcher;
  readonly dryRun?: boolean;
  readonly maxDepth?: number;
  readonly limits?: Partial<ScanLimits>;
  /** How age files met in the snapshot are judged (scan-types AgeAudit); absent: each is a gap. */
  readonly age?: AgeAudit;
  /** Injected clock for the report timestamp. */
  readonly now?: () => Date;
}

/** One overwritten span (paths relative to the snapshot). Never the secret. */
export interface RedactionChange {
  readonly path: string;
  readonly member?: string;
  readonly offset: number;
  readonly length: number;
  readonly form: Finding["form"];
  readonly encoding: Finding["encoding"];
  readonly fingerprintId: string;
}

export interface RedactionReport {
  readonly snapshot: string;
  readonly dryRun: boolean;
  readonly redactedAt: string;
  /** Spans overwritten, same length: with `X` (0x58); the digits of a run of hex values with `0`, separators kept. */
  readonly changes: RedactionChange[];
  /** Files rewritten (new inode; hard links to other snapshots untouched). */
  readonly filesRewritten: string[];
  /** Files with findings that could not be rewritten (damaged or over-limit archives): still residue. */
  readonly failed: Array<{ path: string; reason: string }>;
  /**
   * Files removed from `github-connect/` (the sealed copy and its manifest), and
   * what a killed run left: its work dir `.connect-ops-redact-*` and staged
   * `<file>.<12 hex>.new` links. A dry run lists them and removes nothing.
   */
  readonly removed: string[];
  /** What the scan could not read: redaction cannot vouch for it. */
  readonly gaps: Gap[];
}

function dirtyChains(findings: readonly Finding[]): Set<string> {
  const dirty = new Set<string>([""]);
  for (const finding of findings) {
    const parts = finding.member?.split("!") ?? [];
    for (let index = 1; index <= parts.length; index += 1) dirty.add(parts.slice(0, index).join("!"));
  }
  return dirty;
}

async function removeConnectDir(root: string, dryRun: boolean): Promise<string[]> {
  const directory = join(root, CONNECT_DIR);
  // Absent: nothing to remove. One we cannot stat would leave the sealed copy behind: that rejects.
  const stats = await unlessMissing(lstat(directory));
  if (!stats) return [];
  if (!stats.isDirectory()) {
    if (!dryRun) await rm(directory);
    return [CONNECT_DIR];
  }
  const entries = (await readdir(directory)).filter((name) => name !== REDACTION_FILE);
  if (!dryRun) for (const name of entries) await rm(join(directory, name), { recursive: true, force: true });
  return entries.map((name) => `${CONNECT_DIR}/${name}`);
}

/** Our work dir: `.connect-ops-redact-<12 hex>` at the top of the snapshot. */
const WORK_DIR = /^\.connect-ops-redact-[0-9a-f]{12}$/;
/** A link staged by replaceWith: `<target>.<12 hex>.new`, beside its target. */
const STAGED_LINK = /^(.+)\.[0-9a-f]{12}\.new$/;

/**
 * What a killed redaction left in the snapshot: work dirs (they may hold
 * unredacted scratch copies: an inflated gzip, a rebuilt tar) and staged links
 * whose target still exists beside them. Symlinks are never followed or listed.
 */
function leftovers(root: string): string[] {
  const found: string[] = [];
  const stack = [root];
  for (let directory = stack.pop(); directory !== undefined; directory = stack.pop()) {
    let entries;
    try {
      entries = readdirSync(directory, { withFileTypes: true }); // names only, as walkTree: no lstat per file
    } catch (error) {
      // The scan lists the same tree and reports these as gaps (unreadable-directory); anything else is ours to raise.
      if (isMissing(error) || errnoOf(error) === "EACCES" || errnoOf(error) === "EPERM") continue;
      throw error;
    }
    const names = new Set(entries.map((entry) => entry.name));
    for (const entry of entries) {
      const child = join(directory, entry.name);
      if (entry.isDirectory()) {
        if (directory === root && WORK_DIR.test(entry.name)) found.push(child);
        else stack.push(child);
      } else if (entry.isFile()) {
        const target = STAGED_LINK.exec(entry.name)?.[1];
        if (target !== undefined && names.has(target)) found.push(child);
      }
    }
  }
  return found.sort();
}

async function removeLeftovers(root: string, dryRun: boolean): Promise<string[]> {
  const found = leftovers(root);
  if (!dryRun) {
    for (const path of found) {
      await assertWritableInside(root, path);
      await rm(path, { recursive: true, force: true });
    }
  }
  return found.map((path) => relative(root, path));
}

async function rewriteInPlace(
  root: string,
  path: string,
  linked: readonly string[],
  findings: Finding[],
  context: Omit<RewriteContext, "dirty">,
): Promise<string[]> {
  const targets = [path, ...linked.filter((other) => isInside(root, other))];
  for (const target of targets) await assertWritableInside(root, target);
  const before = await lstat(path);
  const directoryTimes = await Promise.all(
    targets.map(async (target) => ({ target: dirname(target), stats: await lstat(dirname(target)) })),
  );
  const output = join(context.scratchDir, randomBytes(8).toString("hex"));
  await rewriteFile(path, output, { ...context, dirty: dirtyChains(findings) });
  const handle = await open(output, constants.O_RDONLY);
  try {
    await handle.chmod(before.mode & 0o7777);
    await handle.utimes(before.atimeMs / 1000, before.mtimeMs / 1000);
    await chown(output, before.uid, before.gid).catch((error: unknown) => {
      // Only root may give files away: an operator redacting their own snapshot keeps their own uid (as cp would).
      if (errnoOf(error) !== "EPERM") throw error;
    });
    await handle.sync();
  } finally {
    await handle.close();
  }
  await replaceWith(output, targets);
  for (const { target, stats } of directoryTimes) await utimes(target, stats.atimeMs / 1000, stats.mtimeMs / 1000);
  return targets.map((target) => relative(root, target));
}

/**
 * The runs recorded by earlier redactions. None when the record does not
 * exist; a record that cannot be read or parsed throws `BACKUP_MANIFEST_INVALID`
 * before anything is changed: overwriting it would lose that history.
 */
async function previousRuns(root: string): Promise<unknown[]> {
  const path = join(root, CONNECT_DIR, REDACTION_FILE);
  try {
    const text = await unlessMissing(readFile(path, "utf8"));
    if (text === undefined) return [];
    const parsed = JSON.parse(text) as { runs?: unknown } | null;
    const runs = parsed?.runs;
    return Array.isArray(runs) ? (runs as unknown[]) : [];
  } catch (error) {
    // Never the parser's message: V8 quotes the text, and the file is snapshot content.
    const reason = error instanceof SyntaxError ? "not JSON" : (errnoOf(error) ?? "error");
    throw new BackupError("BACKUP_MANIFEST_INVALID", `cannot read the redaction record ${path}: ${reason}`, {
      category: "input",
      hint: "move the file aside (it lists earlier redactions of this snapshot) and run redact again",
      context: { path },
      cause: error,
    });
  }
}

/** The snapshot's realpath; throws `BACKUP_NOT_A_SNAPSHOT` unless it is a directory. */
async function snapshotRoot(snapshotDir: string): Promise<string> {
  const notASnapshot = (cause?: unknown): BackupError =>
    new BackupError("BACKUP_NOT_A_SNAPSHOT", `${snapshotDir} is not a snapshot directory`, {
      category: "input",
      hint: "pass a snapshot directory (GHE_DATA_DIR/<YYYYMMDDTHHMMSS>) or the data dir's `current` link",
      context: { path: snapshotDir },
      cause,
    });
  let root: string;
  try {
    root = await realpath(snapshotDir);
  } catch (error) {
    if (isMissing(error)) throw notASnapshot(error);
    throw error;
  }
  if (!(await lstat(root)).isDirectory()) throw notASnapshot();
  return root;
}

/**
 * Removes every trace of the credentials from one snapshot, keeping it
 * restorable: `github-connect/` is emptied, each finding is overwritten with
 * `X` of the same length (inside tar members and gzip streams the archive is
 * rebuilt), every change lands as a new file renamed over the old one, so a
 * file hard-linked into other snapshots keeps its bytes there. Writes
 * `github-connect/redaction.json` when something changed. Idempotent.
 * Throws `BACKUP_NOT_A_SNAPSHOT` for a non-directory, `BACKUP_PATH_ESCAPE` when a
 * write would leave the snapshot, `BACKUP_MANIFEST_INVALID` (before changing
 * anything) when an earlier `redaction.json` cannot be read.
 */
export async function redactSnapshot(snapshotDir: string, options: RedactOptions): Promise<RedactionReport> {
  const root = await snapshotRoot(snapshotDir);
  const dryRun = options.dryRun ?? false;
  const runs = dryRun ? [] : await previousRuns(root);
  // Before anything else: a killed run's scratch copies must not outlive the re-run (nor be rewritten as residue).
  const stale = await removeLeftovers(root, dryRun);
  const scan = await scanPath(root, {
    matcher: options.matcher,
    maxDepth: options.maxDepth,
    limits: options.limits,
    ...(options.age === undefined ? {} : { age: options.age }),
  });
  const inConnectDir = (path: string): boolean => isInside(join(root, CONNECT_DIR), path);
  const residue = scan.findings.filter((finding) => !inConnectDir(finding.path));
  const removed = [...stale, ...(await removeConnectDir(root, dryRun))];
  const byFile = new Map<string, Finding[]>();
  for (const finding of residue) byFile.set(finding.path, [...(byFile.get(finding.path) ?? []), finding]);
  const filesRewritten: string[] = [];
  const failed: Array<{ path: string; reason: string }> = [];
  if (!dryRun && byFile.size > 0) {
    const scratchDir = join(root, `.connect-ops-redact-${randomBytes(6).toString("hex")}`);
    await assertWritableInside(root, scratchDir);
    // A signal (SIGINT, SIGTERM, SIGHUP) removes it before the process exits; a SIGKILL's is swept by the next run.
    const untrack = trackTemp(scratchDir, "dir");
    await mkdir(scratchDir, { mode: 0o700 });
    try {
      for (const [path, findings] of byFile) {
        const context = {
          matcher: options.matcher,
          scratchDir,
          maxDepth: options.maxDepth ?? DEFAULT_MAX_DEPTH,
          limits: { ...DEFAULT_LIMITS, ...options.limits },
          depth: 0,
          members: [],
        };
        try {
          filesRewritten.push(...(await rewriteInPlace(root, path, findings[0]?.linkedPaths ?? [], findings, context)));
        } catch (error) {
          // One archive we cannot rebuild must not stop the others; the caller sees it in `failed`.
          if (!(error instanceof BackupError) || error.code === "BACKUP_PATH_ESCAPE") throw error;
          failed.push({ path: relative(root, path), reason: `${error.code}: ${error.message}` });
        }
      }
    } finally {
      await rm(scratchDir, { recursive: true, force: true });
      untrack();
    }
  }
  const report: RedactionReport = {
    snapshot: root,
    dryRun,
    redactedAt: (options.now ?? (() => new Date()))().toISOString(),
    changes: residue.map((finding) => ({
      path: relative(root, finding.path),
      ...(finding.member === undefined ? {} : { member: finding.member }),
      offset: finding.offset,
      length: finding.length,
      form: finding.form,
      encoding: finding.encoding,
      fingerprintId: finding.fingerprintId,
    })),
    filesRewritten,
    failed,
    removed,
    gaps: scan.gaps,
  };
  if (!dryRun && (report.changes.length > 0 || removed.length > 0)) {
    const directory = join(root, CONNECT_DIR);
    await assertWritableInside(root, directory);
    await makeDirectories(directory, 0o700);
    await atomicWriteFile(
      join(directory, REDACTION_FILE),
      Buffer.from(`${JSON.stringify({ version: 1, runs: [...runs, report] }, null, 2)}\n`),
      { mode: 0o600 },
    );
  }
  return report;
}
