import { renameSync } from "node:fs";
import { constants } from "node:fs";
import { access, lstat, open, readdir, readFile, rm, stat } from "node:fs/promises";
import { dirname, join } from "node:path";
import { errnoCode, ignoreMissing, makeDirectories } from "@connect-ops/connection-core";
import {
  VAULT_FILES,
  atomicWriteFile,
  isTempName,
  newTempId,
  removeStaleTemps,
  syncDirectory,
  tempNameFor,
} from "@connect-ops/credential-vault";
import { NODE_IDENTITY_FILE, type RehearsalFiles } from "./node-identity.js";
import { destroyLocalIdentity } from "./node-identity-destroy.js";
import { nodeDirIsSymlink, ReplicationError } from "./errors.js";
import { parseVaultMetaBytes, sha256Hex, type ReplicationPayload } from "./payload.js";
import type { CommitResult, ExpectedPair, NodeState, NodeTransport, RemoveResult } from "./transport.js";
import { pushInSteps } from "./push-to-node.js";

async function readOptional(path: string): Promise<Buffer | null> {
  try {
    return await readFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw error;
  }
}

async function listTemps(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).filter(isTempName);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
}

/**
 * The `local` driver: the node is a directory on this machine (the demo, or
 * an operator running on the appliance itself). Same contract as `ssh`.
 */
export function createLocalTransport(nodeName: string, nodeDir: string): NodeTransport {
  // No trailing slash: lstat("link/") would follow the link.
  const dir = nodeDir.replace(/(.)\/+$/, "$1");
  const sealedPath = join(dir, VAULT_FILES.sealed);
  const metaPath = join(dir, VAULT_FILES.meta);

  const writeFailed = (step: string, error: unknown): ReplicationError =>
    new ReplicationError(
      "REPL_REMOTE_WRITE_FAILED",
      `could not ${step} in ${dir} on node ${nodeName} (${(error as NodeJS.ErrnoException).code ?? "error"}); its previous files are untouched`,
      {
        category: "incomplete",
        hint: "check that the directory is writable and its filesystem has free space, then run again",
        context: { node: nodeName, path: dir },
        cause: error,
      },
    );

  /** Refuses a target dir that is a symbolic link (absent is fine: commit creates it). */
  async function refuseSymlink(): Promise<void> {
    const info = await lstat(dir).catch((error: unknown) => {
      if (errnoCode(error) === "ENOENT") return null;
      throw error;
    });
    if (info?.isSymbolicLink() === true) throw nodeDirIsSymlink(nodeName, dir);
  }

  /** Removes our own leftover temps (never a directory); returns how many. */
  async function sweep(): Promise<number> {
    let removed = 0;
    for (const name of await listTemps(dir)) {
      const target = join(dir, name);
      const info = await ignoreMissing(lstat(target)); // gone meanwhile: nothing to sweep
      if (info === undefined || info.isDirectory()) continue;
      await rm(target, { force: true });
      removed++;
    }
    if (removed > 0) await syncDirectory(dir);
    return removed;
  }

  async function sweepTemps(): Promise<number> {
    await refuseSymlink();
    try {
      return await sweep();
    } catch (error) {
      throw writeFailed("remove leftover temp files", error);
    }
  }

  async function probe(): Promise<NodeState> {
    await refuseSymlink();
    const directoryExists = (await ignoreMissing(stat(dir)))?.isDirectory() === true;
    const [sealed, metaBytes, temps] = await Promise.all([
      readOptional(sealedPath),
      readOptional(metaPath),
      listTemps(dir),
    ]);
    const meta =
      metaBytes === null ? null : (parseVaultMetaBytes(metaBytes, `${nodeName}:${VAULT_FILES.meta}`) ?? null);
    return {
      directoryExists,
      sealedSha256: sealed === null ? null : sha256Hex(sealed),
      metaSha256: metaBytes === null ? null : sha256Hex(metaBytes),
      meta,
      metaInvalid: metaBytes !== null && meta === null,
      tempFiles: temps.length,
      writable: await writableDir(dir),
    };
  }

  async function stage(path: string, data: Uint8Array, expectedSha: string): Promise<void> {
    const handle = await open(path, "wx", 0o600);
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    if (sha256Hex(await readFile(path)) !== expectedSha) throw Object.assign(new Error("verify"), { code: "EVERIFY" });
  }

  async function commit(payload: ReplicationPayload, expected: ExpectedPair): Promise<CommitResult> {
    // The vault's temp-name scheme, one id for the pair: isTempName finds what a killed push left.
    const id = newTempId();
    const sealedTemp = tempNameFor(sealedPath, id);
    const metaTemp = tempNameFor(metaPath, id);
    /** Removes this push's temps (`force`: absent is fine); returns the failure, for the caller to report, or undefined. */
    const cleanup = async (): Promise<unknown> => {
      const outcomes = await Promise.allSettled([rm(sealedTemp, { force: true }), rm(metaTemp, { force: true })]);
      return outcomes.find((outcome) => outcome.status === "rejected")?.reason;
    };
    /** The step's error, saying so when this push's temps are still on the node as well. */
    const failedWithCleanup = async (step: string, error: unknown): Promise<ReplicationError> => {
      const cleanupError = await cleanup();
      const leftover =
        cleanupError === undefined
          ? ""
          : ` (nor remove this push's temp files: ${errnoCode(cleanupError) ?? "error"}; the next push removes them)`;
      return writeFailed(`${step}${leftover}`, error);
    };
    await refuseSymlink();
    try {
      const existed = (await ignoreMissing(stat(dir))) !== undefined;
      if (!existed) await makeDirectories(dir, 0o700);
    } catch (error) {
      throw writeFailed("create the directory", error);
    }
    await refuseSymlink(); // a link planted while we created the dir
    try {
      await sweep();
    } catch (error) {
      throw writeFailed("remove leftover temp files", error);
    }
    try {
      await stage(sealedTemp, payload.sealed, payload.sealedSha256);
      await stage(metaTemp, payload.metaBytes, payload.metaSha256);
    } catch (error) {
      throw await failedWithCleanup("write the temp files", error);
    }
    const current = await probe();
    if (current.sealedSha256 !== expected.sealedSha256 || current.metaSha256 !== expected.metaSha256) {
      const cleanupError = await cleanup();
      if (cleanupError !== undefined) throw writeFailed("remove this push's temp files after a conflict", cleanupError);
      return { result: "conflict" };
    }
    try {
      // Sealed first, meta last: meta.json is the commit record of the pair. The
      // two renames are back-to-back synchronous syscalls (no event-loop turn in
      // between), so a SIGKILL of this process almost never lands between them;
      // if it does (or power fails), the node holds new sealed + old meta, which
      // the probe reports as inconsistent and the next push repairs
      // (docs/replication.md). One fsync of the dir follows both renames.
      renameSync(sealedTemp, sealedPath);
      renameSync(metaTemp, metaPath);
      await syncDirectory(dir);
    } catch (error) {
      throw await failedWithCleanup("rename the files into place", error);
    }
    const after = await probe();
    return { result: "committed", sealedSha256: after.sealedSha256, metaSha256: after.metaSha256 };
  }

  async function remove(): Promise<RemoveResult> {
    await refuseSymlink();
    const targets = [sealedPath, metaPath, ...(await listTemps(dir)).map((name) => join(dir, name))];
    let removed = 0;
    for (const target of targets) {
      if ((await ignoreMissing(stat(target))) === undefined) continue;
      try {
        await rm(target, { force: true });
      } catch (error) {
        throw writeFailed("remove the credential files", error);
      }
      removed++;
    }
    if (removed > 0) await syncDirectory(dir);
    const left = await probe();
    const remaining = (left.sealedSha256 === null ? 0 : 1) + (left.metaSha256 === null ? 0 : 1) + left.tempFiles;
    return { removed, remaining };
  }

  const identityPath = join(dir, NODE_IDENTITY_FILE);

  async function writeIdentity(identityFile: Uint8Array): Promise<string> {
    await refuseSymlink();
    try {
      await makeDirectories(dir, 0o700);
    } catch (error) {
      throw writeFailed("create the directory", error);
    }
    await refuseSymlink();
    try {
      // A write killed before its rename left a temp holding an identity nobody records: it goes first.
      await removeStaleTemps(dir, [NODE_IDENTITY_FILE]);
      await atomicWriteFile(identityPath, identityFile, { mode: 0o600 });
    } catch (error) {
      throw writeFailed("write the node identity", error);
    }
    const written = await readOptional(identityPath);
    if (written === null) throw writeFailed("read back the node identity", new Error("ENOENT"));
    const digest = sha256Hex(written);
    written.fill(0);
    return digest;
  }

  async function identityDigest(): Promise<string | null> {
    await refuseSymlink();
    const bytes = await readOptional(identityPath);
    if (bytes === null) return null;
    const digest = sha256Hex(bytes);
    bytes.fill(0);
    return digest;
  }

  async function readForRehearsal(): Promise<RehearsalFiles> {
    await refuseSymlink();
    return { identity: await readOptional(identityPath), sealed: await readOptional(sealedPath) };
  }

  return {
    writeIdentity: (identityFile) => writeIdentity(identityFile),
    identityDigest: () => identityDigest(),
    readForRehearsal: () => readForRehearsal(),
    destroyIdentity: (expectedSha256) => destroyLocalIdentity(nodeName, dir, expectedSha256),
    probe: () => probe(),
    commit: (payload, expected) => commit(payload, expected),
    push: (payload, write) => pushInSteps({ probe, commit, sweepTemps }, payload, write),
    sweepTemps: () => sweepTemps(),
    remove: () => remove(),
    [Symbol.asyncDispose]: () => Promise.resolve(),
  };
}

/** access(2) W_OK on the dir, or while it does not exist on its nearest existing ancestor (what mkdir -p needs). */
async function writableDir(dir: string): Promise<boolean> {
  let at = dir;
  while ((await ignoreMissing(stat(at))) === undefined && dirname(at) !== at) at = dirname(at);
  try {
    await access(at, constants.W_OK);
    return (await stat(at)).isDirectory();
  } catch {
    return false;
  }
}
