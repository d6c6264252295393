import {
  ignoreMissing,
  isConnectOpsError,
  makeDirectories,
  parseInput,
  parseJsonText,
  systemClock,
} from "@connect-ops/connection-core";
import { readFile, rename, stat } from "node:fs/promises";
import { dirname, join } from "node:path";
import { openSealedBytes, sealBytes } from "./age-seal.js";
import { atomicWriteFile, removeStaleTemps, syncDirectory, type StepHook } from "./atomic-write.js";
import type { CredentialsBundle } from "./bundle.js";
import { VaultError } from "./errors.js";
import { acquireLock, type HeldLock, type LockOptions } from "./lock.js";
import { removeFileIfPresent } from "./remove-file.js";
import { destroyVaultDir, type RemovedFile } from "./destroy-vault.js";
import { STATE_LEDGERS, VAULT_FILES } from "./layout.js";
import type { VaultMeta } from "./meta.js";
import { looksLikeVaultMeta } from "./meta-shape.js";
import { sha256Hex } from "./sha256.js";

const PENDING = ".pending";
/** Lock-free reads give up after this many re-reads while commits keep moving the pair (each re-read sees a newer commit). */
const READ_ATTEMPTS = 20;
const LOCK_FILE = ".lock";

/** Commit points of a vault write, on top of each file's own atomic steps. */
export type CommitStep = "sealed-pending" | "meta-pending" | "sealed-renamed" | "meta-renamed";

export interface VaultDeps {
  readonly now: () => number;
  /** Fault injection for tests: called before each step of a commit. */
  readonly onStep?: StepHook;
  readonly onCommitStep?: (step: CommitStep) => void | Promise<void>;
  /**
   * Told of every sealed file before it is written (its SHA-256 and recipients), so the
   * state dir's ledger lists it even when the commit is interrupted (`recordSealedCopy`).
   */
  readonly onSealed?: (copy: { readonly sha256: string; readonly recipients: readonly string[] }) => Promise<void>;
}

export interface CommitInput {
  readonly bundle: CredentialsBundle;
  readonly recipients: readonly string[];
  /** Compare-and-swap: the generation the caller read; `null` when creating the first one. */
  readonly expectedGeneration: number | null;
  /**
   * The new generation is above this one too (a restore continues the line
   * the nodes and the snapshot hold, so `replicate` converges at once).
   */
  readonly generationAbove?: number;
  /** Secret-free fields to record in meta.json besides the ones the vault derives. */
  readonly metaFields: Omit<VaultMeta, "format" | "generation" | "sealedSha256" | "recipients" | "updatedAt">;
}

export type { RemovedFile } from "./destroy-vault.js";

/**
 * The sealed credential store of one state dir (`<state>/vault`).
 *
 * Two files change together (`credentials.age`, `meta.json`). A commit writes
 * both as `*.pending` first (each atomically), then renames sealed, then meta.
 * `meta.json.pending` exists only once both pending files are complete, so
 * recovery rolls forward when it exists and back when it does not: any crash
 * leaves the old or the new pair.
 */
export class CredentialVault {
  readonly dir: string;
  readonly #deps: VaultDeps;

  constructor(dir: string, deps: Partial<VaultDeps> = {}) {
    this.dir = dir;
    this.#deps = { now: () => systemClock.now(), ...deps };
  }

  get sealedPath(): string {
    return join(this.dir, VAULT_FILES.sealed);
  }

  get metaPath(): string {
    return join(this.dir, VAULT_FILES.meta);
  }

  /**
   * Takes the vault's exclusive lock (creating the vault dir 0700), finishes
   * any interrupted commit and sweeps the temps an interrupted write of the
   * state dir's ledgers left beside the vault dir (`STATE_LEDGERS`).
   */
  async lock(options: LockOptions = {}): Promise<HeldLock> {
    await makeDirectories(this.dir, 0o700);
    const held = await acquireLock(join(this.dir, LOCK_FILE), options);
    try {
      await this.#recover();
    } catch (error) {
      await held.release();
      throw error;
    }
    return held;
  }

  /**
   * The current meta, or undefined when the vault holds nothing. Does not
   * decrypt and needs no lock: it sees a commit that crashed after its sealed
   * rename as done, like recovery will.
   */
  async readMeta(): Promise<VaultMeta | undefined> {
    return (await this.#currentView()).meta;
  }

  /**
   * The current meta, checked against the sealed file's SHA-256, without a
   * lock (so a cache hit notices a damaged vault without decrypting). Throws
   * `VAULT_INTEGRITY` for a damaged or replaced file; a commit running beside
   * the read is not damage (see `#readCommitted`).
   */
  async readVerifiedMeta(): Promise<VaultMeta | undefined> {
    return (await this.#readCommitted())?.meta;
  }

  /**
   * Decrypts the bundle with the given identities. Throws `VAULT_EMPTY` when
   * nothing is sealed, `VAULT_INTEGRITY` for a damaged file and
   * `VAULT_IDENTITY_MISMATCH` (naming the recipients) for a wrong identity.
   */
  async open(identities: readonly string[]): Promise<{ meta: VaultMeta; bundle: CredentialsBundle }> {
    const committed = await this.#readCommitted();
    if (committed === undefined) {
      throw new VaultError("VAULT_EMPTY", `no credentials are sealed in ${this.dir}`, {
        category: "input",
        hint: "run `connect-ops connect` (or `backup restore`) first",
        context: { path: this.dir },
      });
    }
    const meta = (await this.#strict(committed.meta)) as VaultMeta;
    const sealed = committed.sealed;
    const plaintext = await openSealedBytes(sealed, identities, meta.recipients, this.sealedPath);
    const { credentialsBundleSchema } = await import("./bundle.js");
    const bundle = parseInput(
      credentialsBundleSchema,
      parseJsonText(Buffer.from(plaintext).toString("utf8"), "sealed bundle"),
      "sealed bundle",
    );
    plaintext.fill(0);
    return { meta, bundle };
  }

  /**
   * Seals `bundle` to `recipients` and commits a new generation. The caller
   * must hold the lock. Throws `VAULT_GENERATION_CONFLICT` when another
   * process committed since `expectedGeneration` was read.
   */
  async commit(_lock: HeldLock, input: CommitInput): Promise<VaultMeta> {
    const current = await this.#strict(await this.readMeta());
    const currentGeneration = current?.generation ?? null;
    if (currentGeneration !== input.expectedGeneration) {
      throw new VaultError(
        "VAULT_GENERATION_CONFLICT",
        `the vault changed while this command ran (generation ${currentGeneration ?? "none"}, expected ${input.expectedGeneration ?? "none"})`,
        {
          category: "incomplete",
          hint: "run the command again; it will start from the new state",
          context: { path: this.dir },
        },
      );
    }
    const plaintext = Buffer.from(JSON.stringify(input.bundle), "utf8");
    const sealed = await sealBytes(plaintext, input.recipients);
    plaintext.fill(0);
    const meta: VaultMeta = {
      ...input.metaFields,
      format: "connect-ops/vault-meta@1",
      generation: Math.max(currentGeneration ?? 0, input.generationAbove ?? 0) + 1,
      sealedSha256: sha256Hex(sealed),
      recipients: [...input.recipients],
      updatedAt: new Date(this.#deps.now()).toISOString(),
    };
    await this.#deps.onSealed?.({ sha256: meta.sealedSha256, recipients: meta.recipients });
    const onCommit = this.#deps.onCommitStep ?? (() => undefined);
    const writeOptions = { mode: 0o600, ...(this.#deps.onStep ? { onStep: this.#deps.onStep } : {}) };
    await atomicWriteFile(this.sealedPath + PENDING, sealed, writeOptions);
    await onCommit("sealed-pending");
    await atomicWriteFile(this.metaPath + PENDING, Buffer.from(`${JSON.stringify(meta, null, 2)}\n`), writeOptions);
    await onCommit("meta-pending");
    await this.#finishCommit(onCommit);
    return meta;
  }

  /**
   * Overwrites every file of the vault with random bytes, fsyncs, unlinks it,
   * removes the directory and fsyncs its parent. Returns what it removed
   * (see `destroyVaultDir`).
   */
  async destroy(): Promise<RemovedFile[]> {
    return await destroyVaultDir(this.dir);
  }

  async #finishCommit(onCommit: (step: CommitStep) => void | Promise<void>): Promise<void> {
    if (await exists(this.sealedPath + PENDING)) {
      await rename(this.sealedPath + PENDING, this.sealedPath);
      await onCommit("sealed-renamed");
    }
    await rename(this.metaPath + PENDING, this.metaPath);
    await syncDirectory(this.dir);
    await onCommit("meta-renamed");
  }

  /**
   * What a reader should treat as committed, deciding exactly as recovery
   * will: a complete pending pair (or a pending meta whose sealed file was
   * already renamed) is the new state; anything else is the old one.
   */
  async #currentView(): Promise<{ meta: VaultMeta | undefined; sealedPath: string }> {
    // A malformed pending meta is a commit that never got whole: the old state stands. File-system errors are thrown.
    const pending = await this.#readMetaFile(this.metaPath + PENDING).catch((error: unknown) => {
      if (isConnectOpsError(error)) return undefined;
      throw error;
    });
    if (pending !== undefined) {
      if ((await this.#sealedDigest(this.sealedPath + PENDING)) === pending.sealedSha256) {
        return { meta: pending, sealedPath: this.sealedPath + PENDING };
      }
      if ((await this.#sealedDigest(this.sealedPath)) === pending.sealedSha256)
        return { meta: pending, sealedPath: this.sealedPath };
    }
    return { meta: await this.#readMetaFile(this.metaPath), sealedPath: this.sealedPath };
  }

  /**
   * The committed meta and the sealed bytes it describes, read without a lock.
   * A commit running beside this read can move the pair between the reads of
   * the view and of the file (meta of one generation, sealed file of the next):
   * such a mismatch is read again. Damage is a mismatch that reads the same
   * twice in a row — a commit in flight never does, since its next step makes
   * the view whole again.
   */
  async #readCommitted(): Promise<{ meta: VaultMeta; sealed: Buffer } | undefined> {
    let previous: string | undefined;
    for (let attempt = 0; ; attempt++) {
      const view = await this.#currentView();
      if (view.meta === undefined) return undefined;
      const sealed = await ignoreMissing(readFile(view.sealedPath));
      const digest = sealed === undefined ? "missing" : sha256Hex(sealed);
      if (sealed !== undefined && digest === view.meta.sealedSha256) return { meta: view.meta, sealed };
      const mismatch = `${view.meta.generation}:${view.meta.sealedSha256}:${digest}`;
      if (mismatch === previous || attempt >= READ_ATTEMPTS) {
        throw new VaultError(
          "VAULT_INTEGRITY",
          `${this.sealedPath} does not match its meta.json digest (damaged or replaced)`,
          {
            category: "input",
            hint: "restore the vault from a replica (connect-ops replicate from a healthy node) or a backup",
            context: { path: this.sealedPath },
          },
        );
      }
      previous = mismatch;
    }
  }

  async #recover(): Promise<void> {
    if (await exists(this.metaPath + PENDING)) {
      const pending = await this.#readMetaFile(this.metaPath + PENDING);
      const sealedPendingDigest = await this.#sealedDigest(this.sealedPath + PENDING);
      const sealedDigest = await this.#sealedDigest(this.sealedPath);
      if (
        pending !== undefined &&
        (sealedPendingDigest === pending.sealedSha256 || sealedDigest === pending.sealedSha256)
      ) {
        await this.#finishCommit(() => undefined);
      } else {
        await removeFileIfPresent(this.metaPath + PENDING, "the half-committed meta");
      }
    }
    await removeFileIfPresent(this.sealedPath + PENDING, "the half-committed sealed file");
    await removeStaleTemps(this.dir);
    await syncDirectory(this.dir);
    // The state dir's ledgers are written under this lock too (a commit's `onSealed`, enroll, include).
    await removeStaleTemps(dirname(this.dir), STATE_LEDGERS);
  }

  /** The full schema check that every decrypting or writing path applies (readMeta's quick check is for hot paths). */
  async #strict(meta: VaultMeta | undefined): Promise<VaultMeta | undefined> {
    if (meta === undefined) return undefined;
    const { vaultMetaSchema } = await import("./meta.js");
    return parseInput(vaultMetaSchema, meta, this.metaPath, "restore the vault from a replica or a backup");
  }

  async #readMetaFile(path: string): Promise<VaultMeta | undefined> {
    let text: string;
    try {
      text = await readFile(path, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw error;
    }
    const value = parseJsonText(text, path);
    if (looksLikeVaultMeta(value)) return value;
    // Only a malformed file pays for the full schema, which also writes the message.
    const { vaultMetaSchema } = await import("./meta.js");
    return parseInput(vaultMetaSchema, value, path, "restore the vault from a replica or a backup");
  }

  async #sealedDigest(path: string): Promise<string | undefined> {
    try {
      return sha256Hex(await readFile(path));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw error;
    }
  }
}

/** Whether `path` exists; only ENOENT means no (a permission error is thrown, never read as "absent"). */
async function exists(path: string): Promise<boolean> {
  return (await ignoreMissing(stat(path))) !== undefined;
}
