import { ignoreMissing } from "@connect-ops/connection-core";
import { formatIdentityFile, generateAgeIdentity } from "@connect-ops/credential-vault";
import { lstat, readdir, realpath } from "node:fs/promises";
import { basename, dirname, join, relative, isAbsolute } from "node:path";
import { usageError } from "../errors.js";

export interface EscrowInitRequest {
  /** Where to write the identity (resolved). */
  readonly out: string;
  /** The state dir and the backup data dirs (resolved): the identity must live outside every one of them. */
  readonly stateDir: string;
  readonly dataDirs: readonly string[];
  readonly now: () => number;
}

export interface EscrowInitOutcome {
  readonly path: string;
  readonly recipient: string;
}

const inside = (root: string, path: string): boolean => {
  const rel = relative(root, path);
  return rel === "" || (!rel.startsWith("..") && !isAbsolute(rel));
};

/** The real path of `path`'s nearest existing ancestor, with the rest appended (the file itself does not exist yet). */
async function realTarget(path: string): Promise<string> {
  const parent = dirname(path);
  const real = await ignoreMissing(realpath(parent));
  return real === undefined ? join(await realTarget(parent), basename(path)) : join(real, basename(path));
}

/** A directory that looks like a backup-utils data dir: it holds a `current` link or a snapshot dir. */
async function looksLikeDataDir(dir: string): Promise<boolean> {
  const entries = (await ignoreMissing(readdir(dir, { withFileTypes: true })).catch(() => undefined)) ?? [];
  return entries.some(
    (entry) =>
      (entry.name === "current" && entry.isSymbolicLink()) || (entry.isDirectory() && /^\d{8}T\d{6}$/.test(entry.name)),
  );
}

/**
 * `backup escrow init`: a new age identity (0600) for the backup host. The
 * snapshots' copies are sealed to its recipient too, so destroying it (with
 * `shred`) makes every copy — also those moved where no audit reaches —
 * unopenable. Refuses (exit 2, nothing written) a path inside the state dir,
 * inside a data dir (given or recognised), or one that exists.
 */
export async function initEscrow(request: EscrowInitRequest): Promise<EscrowInitOutcome> {
  const target = await realTarget(request.out);
  const roots = await Promise.all(
    [request.stateDir, ...request.dataDirs].map(async (dir) => (await ignoreMissing(realpath(dir))) ?? dir),
  );
  const hint = "keep the escrow identity on the backup host, outside the state dir and outside every backup data dir";
  for (const root of roots)
    if (inside(root, target))
      throw usageError(
        `--out ${request.out} is inside ${root}: a snapshot or the state dir would hold the identity`,
        hint,
      );
  for (let dir = dirname(target); dir !== dirname(dir); dir = dirname(dir))
    if (await looksLikeDataDir(dir))
      throw usageError(`--out ${request.out} is inside ${dir}, which looks like a backup data dir`, hint);
  if ((await ignoreMissing(lstat(request.out))) !== undefined)
    throw usageError(
      `--out ${request.out} exists already`,
      "nothing was changed; choose a new file (an escrow identity is never overwritten)",
    );
  const { atomicWriteFile } = await import("@connect-ops/credential-vault");
  const { identity, recipient } = await generateAgeIdentity();
  const text = Buffer.from(formatIdentityFile(identity, recipient, new Date(request.now())));
  try {
    await atomicWriteFile(request.out, text, { mode: 0o600 });
  } finally {
    text.fill(0);
  }
  return { path: request.out, recipient };
}
