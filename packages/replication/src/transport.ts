import type { VaultMeta } from "@connect-ops/credential-vault";
import type { RehearsalFiles } from "./node-identity.js";
import type { IdentityDestroyResult } from "./node-identity-destroy.js";
import type { ReplicationPayload } from "./payload.js";

/** What a node holds right now, read without writing. Hashes are hex SHA-256 computed on the node. */
export interface NodeState {
  readonly directoryExists: boolean;
  readonly sealedSha256: string | null;
  readonly metaSha256: string | null;
  /** The node's meta.json when it parses as a vault meta. */
  readonly meta: VaultMeta | null;
  /** True when meta.json exists but is not a valid vault meta. */
  readonly metaInvalid: boolean;
  /** Leftover temp files of an interrupted push. */
  readonly tempFiles: number;
  /**
   * Whether this login could write the target dir (or, while it does not exist, create it in its nearest existing
   * ancestor): access(2) W_OK, which also answers no on a read-only mount. Tested without writing anything.
   */
  readonly writable?: boolean;
}

/** What the node must still hold for a commit to go ahead (compare-and-swap). */
export interface ExpectedPair {
  readonly sealedSha256: string | null;
  readonly metaSha256: string | null;
}

export type CommitResult =
  | { readonly result: "committed"; readonly sealedSha256: string | null; readonly metaSha256: string | null }
  | { readonly result: "conflict" };

export interface RemoveResult {
  readonly removed: number;
  readonly remaining: number;
}

/**
 * One node, reached by one driver (`local` directory or `ssh`). Every method
 * may throw a `ReplicationError`; none prints. Temp files follow
 * credential-vault's scheme (`.NAME.tmp-<12 hex>`, see `isTempName`) inside
 * the target directory; `.connect-ops-*.tmp` of earlier releases count as temps too. A target directory that
 * is a symbolic link is refused by every method (`REPL_NODE_DIR_UNSAFE`).
 */
/** What `NodeTransport.push` did after its probe: nothing, a sweep of leftover temps, or a commit. */
export type PushStep =
  | { readonly state: NodeState; readonly step: "none" }
  | { readonly state: NodeState; readonly step: "swept"; readonly removed: number }
  | { readonly state: NodeState; readonly step: "committed"; readonly commit: CommitResult };

export interface NodeTransport extends AsyncDisposable {
  /** Reads hashes and meta; never writes. */
  probe(signal?: AbortSignal): Promise<NodeState>;
  /**
   * Removes stale temps of earlier interrupted pushes, stages both files as
   * 0600 temps (dir created 0700), verifies their SHA-256 on the node, fsyncs,
   * and — only if the node still holds `expected` — renames credentials.age
   * then meta.json (the commit record) and fsyncs the dir (`ssh`: with a dir
   * fsync between the renames too; the script survives a killed client).
   * Returns the hashes read back after the rename, or `conflict` (temps
   * removed). Throws `REPL_REMOTE_WRITE_FAILED` when a step fails; no temp
   * file is left behind.
   */
  commit(payload: ReplicationPayload, expected: ExpectedPair, signal?: AbortSignal): Promise<CommitResult>;
  /**
   * `probe`, then — when `write(state)` says so — `commit` with the probed
   * hashes as `expected`, else `sweepTemps` if the probe counted temps. The
   * `ssh` driver does all of it in one exec channel (the decision crosses
   * mid-way on stdin); the others call the three steps (`pushInSteps`).
   */
  push(payload: ReplicationPayload, write: (state: NodeState) => boolean, signal?: AbortSignal): Promise<PushStep>;
  /**
   * Removes leftover temp files of an interrupted push (our own
   * temp-name scheme only) and returns how many were removed. A push calls it
   * when the node needs no write; `commit` sweeps them itself.
   */
  sweepTemps(signal?: AbortSignal): Promise<number>;
  /** Removes credentials.age, meta.json and temp files; reports what is left. */
  remove(signal?: AbortSignal): Promise<RemoveResult>;
  /**
   * Writes the node's own age identity file (`node-identity.txt`, 0600; dir
   * created 0700) over the same atomic path as the vault copy: temp, SHA-256
   * verified on the node, fsync, rename, fsync of the dir. Returns the
   * SHA-256 the node reads back. Throws `REPL_REMOTE_WRITE_FAILED` (no temp
   * left behind). The caller zeroes `identityFile` afterwards.
   */
  writeIdentity(identityFile: Uint8Array, signal?: AbortSignal): Promise<string>;
  /** The SHA-256 of the node's identity file, computed on the node (`sha256sum`), or null when it is absent. */
  identityDigest(signal?: AbortSignal): Promise<string | null>;
  /**
   * Reads the identity file and credentials.age into memory, for a failover
   * rehearsal; writes nothing anywhere. The caller zeroes the buffers.
   */
  readForRehearsal(signal?: AbortSignal): Promise<RehearsalFiles>;
  /**
   * Destroys the node's identity file if its SHA-256 is `expectedSha256`
   * (`shred`): rename aside, overwrite with random bytes of its length, fsync,
   * unlink, fsync the dir; an aside copy a killed destroy left is finished
   * first. Another file there is left alone (`not-ours`). Nothing secret
   * crosses: only the hash goes to the node, only counts come back.
   */
  destroyIdentity(expectedSha256: string, signal?: AbortSignal): Promise<IdentityDestroyResult>;
}
