import { lstat, readFile, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import { errnoCode, ignoreMissing } from "@connect-ops/connection-core";
import { shreddingName, syncDirectory, wipeInPlace } from "@connect-ops/credential-vault";
import { nodeDirIsSymlink, ReplicationError, sanitizeRemoteText } from "./errors.js";
import { NODE_IDENTITY_FILE } from "./node-identity.js";
import { sha256Hex } from "./payload.js";
import { header } from "./remote-scripts.js";

/**
 * Where a destroy moves the identity before overwriting it. A fixed name
 * (not the temp-name scheme, so no push's sweep unlinks it unwiped): a
 * destroy killed after the rename finds it there and finishes the wipe.
 */
export const NODE_IDENTITY_ASIDE = `.${NODE_IDENTITY_FILE}.shredding`;

/**
 * What destroying a node's identity found. `destroyed`: the file (or the
 * aside copy a killed destroy left) was renamed aside, overwritten with
 * random bytes of its length, fsynced, unlinked and its dir fsynced; `bytes`
 * is what was overwritten. `absent`: neither the file nor an aside copy was
 * there. `not-ours`: the file there is not the recorded identity (`detail`:
 * its SHA-256, or `link`/`special` for a non-regular file) and was left alone.
 */
export type IdentityDestroyResult =
  | { readonly result: "destroyed"; readonly bytes: number }
  | { readonly result: "absent" }
  | { readonly result: "not-ours"; readonly detail: string };

const HASH = /^[0-9a-f]{64}$/;

/** The sh script of a destroy (see `IdentityDestroyResult`); only the expected SHA-256 (not secret) is in it. */
export function identityDestroyScript(dir: string, expectedSha256: string): string {
  if (!HASH.test(expectedSha256)) throw new Error("identityDestroyScript: expected a hex SHA-256");
  return `${header(dir)}i="$d/${NODE_IDENTITY_FILE}"
a="$d/${NODE_IDENTITY_ASIDE}"
trap '' HUP PIPE
fail() { printf 'result failed %s\\n' "$1"; exit 0; }
bytes=0
found=0
wipe() {
  n=$(wc -c < "$1") || fail read
  n=$((n))
  if [ "$n" -gt 0 ]; then head -c "$n" /dev/urandom 1<> "$1" || fail overwrite; fi
  sync_path "$1" || fail sync
  rm -f "$1" || fail unlink
  sync_path "$d" || fail sync
  bytes=$((bytes + n))
  found=1
}
if [ -h "$a" ]; then rm -f "$a" || fail unlink; elif [ -f "$a" ]; then wipe "$a"; fi
if [ -h "$i" ] || { [ -e "$i" ] && [ ! -f "$i" ]; }; then
  if [ "$found" = 0 ]; then if [ -h "$i" ]; then printf 'result not-ours link\\n'; else printf 'result not-ours special\\n'; fi; exit 0; fi
elif [ -f "$i" ]; then
  h=$(hash_of "$i")
  if [ "$h" = ${expectedSha256} ]; then
    mv -f "$i" "$a" || fail rename
    sync_path "$d" || fail sync
    wipe "$a"
  elif [ "$found" = 0 ]; then
    printf 'result not-ours %s\\n' "$h"; exit 0
  fi
fi
if [ "$found" = 1 ]; then printf 'result destroyed\\nbytes %s\\n' "$bytes"; else printf 'result absent\\n'; fi
`;
}

function destroyFailed(nodeName: string, dir: string, step: string, detail: string): ReplicationError {
  return new ReplicationError(
    "REPL_REMOTE_WRITE_FAILED",
    `could not ${step} the node identity in ${dir} on node ${nodeName}${detail === "" ? "" : `: ${detail}`}; run again to finish destroying it`,
    {
      category: "incomplete",
      hint: "check that the directory is writable by the SSH user (or sudo), then run again: a re-run finishes a half-done destroy",
      context: { node: nodeName, path: dir, step },
    },
  );
}

/** Parses the destroy script's answer strictly; a `failed STEP` is `REPL_REMOTE_WRITE_FAILED`. */
export function parseIdentityDestroyOutput(
  stdout: Buffer,
  stderr: Buffer,
  nodeName: string,
  dir: string,
): IdentityDestroyResult {
  const text = stdout.toString("latin1");
  const destroyed = /^result destroyed\nbytes (0|[1-9][0-9]{0,11})\n$/.exec(text);
  if (destroyed?.[1] !== undefined) return { result: "destroyed", bytes: Number(destroyed[1]) };
  if (text === "result absent\n") return { result: "absent" };
  const other = /^result not-ours (link|special|[0-9a-f]{64})\n$/.exec(text)?.[1];
  if (other !== undefined) return { result: "not-ours", detail: other };
  const step = /^result failed (read|overwrite|sync|unlink|rename)\n$/.exec(text)?.[1];
  if (step === undefined)
    throw new ReplicationError(
      "REPL_REMOTE_OUTPUT_INVALID",
      `node ${nodeName} answered the identity destroy step with unexpected output`,
      {
        category: "incomplete",
        hint: "check that the node has sh and GNU coreutils (sha256sum, wc, head) on the PATH of the SSH user",
        context: { node: nodeName },
      },
    );
  throw destroyFailed(nodeName, dir, step, sanitizeRemoteText(stderr.toString("utf8")));
}

/**
 * Overwrites `path` in place (no second rename: the aside name is the one a
 * re-run looks for) with random bytes of its length, fsyncs, unlinks it and
 * fsyncs `dir`; returns the length.
 */
async function wipe(path: string, dir: string): Promise<number> {
  const size = await wipeInPlace(path);
  await syncDirectory(dir);
  return size;
}

/** The `local` driver's destroy: the same steps as the script, in this process. */
export async function destroyLocalIdentity(
  nodeName: string,
  dir: string,
  expectedSha256: string,
): Promise<IdentityDestroyResult> {
  const dirInfo = await ignoreMissing(lstat(dir));
  if (dirInfo?.isSymbolicLink() === true) throw nodeDirIsSymlink(nodeName, dir);
  if (dirInfo === undefined) return { result: "absent" };
  const identityPath = join(dir, NODE_IDENTITY_FILE);
  const asidePath = join(dir, NODE_IDENTITY_ASIDE);
  let step = "read";
  try {
    let bytes = 0;
    let found = false;
    // Releases before 2026-12 renamed the aside copy once more (`.NAME.destroying`) before the wipe:
    // a destroy killed there left the identity under that name. Finish it first.
    const olderAside = shreddingName(asidePath);
    if ((await ignoreMissing(lstat(olderAside)))?.isFile() === true) {
      step = "overwrite";
      bytes += await wipe(olderAside, dir);
      found = true;
    }
    const aside = await ignoreMissing(lstat(asidePath));
    if (aside?.isSymbolicLink() === true) {
      step = "unlink";
      await rm(asidePath, { force: true });
    } else if (aside?.isFile() === true) {
      step = "overwrite";
      bytes += await wipe(asidePath, dir);
      found = true;
    }
    step = "read";
    const info = await ignoreMissing(lstat(identityPath));
    if (info !== undefined && !info.isFile()) {
      if (!found) return { result: "not-ours", detail: info.isSymbolicLink() ? "link" : "special" };
    } else if (info !== undefined) {
      const content = await readFile(identityPath);
      const digest = sha256Hex(content);
      content.fill(0);
      if (digest === expectedSha256) {
        step = "rename";
        await rename(identityPath, asidePath);
        await syncDirectory(dir);
        step = "overwrite";
        bytes += await wipe(asidePath, dir);
        found = true;
      } else if (!found) return { result: "not-ours", detail: digest };
    }
    return found ? { result: "destroyed", bytes } : { result: "absent" };
  } catch (error) {
    if (error instanceof ReplicationError) throw error;
    throw destroyFailed(nodeName, dir, step, errnoCode(error) ?? "error");
  }
}
