import { ReplicationError, sanitizeRemoteText } from "./errors.js";
import { header, REFUSE_LINK } from "./remote-scripts.js";

/**
 * A node's own age identity (`connect-ops node enroll`), beside its copy of
 * the vault: `<path>/node-identity.txt`, mode 0600, in age-keygen format.
 * Written by the primary over the node's transport; read back only as a
 * SHA-256 (failover-check) or into memory for `failover-check --rehearse`.
 */
export const NODE_IDENTITY_FILE = "node-identity.txt";

/** What `failover-check --rehearse` reads from a node into memory; null for a missing file. */
export interface RehearsalFiles {
  readonly identity: Buffer | null;
  readonly sealed: Buffer | null;
}

/** Bounds on what a node may send back for a rehearsal (an identity file is ~200 bytes, a sealed bundle a few KiB). */
export const MAX_REMOTE_IDENTITY_BYTES = 64 * 1024;
export const MAX_REMOTE_SEALED_BYTES = 16 * 1024 * 1024;

const HASH = /^[0-9a-f]{64}$/;

function identityVars(dir: string): string {
  return `${header(dir)}i="$d/${NODE_IDENTITY_FILE}"\n`;
}

/**
 * Reads the identity from stdin into a 0600 temp (the vault's temp-name
 * scheme, so every sweep removes what a killed write left), verifies its
 * SHA-256, fsyncs, renames it over the identity file and fsyncs the dir.
 * Prints `result written` and `identity H`, or `result failed STEP`.
 */
export function identityWriteScript(dir: string, id: string, sha256: string): string {
  return `${identityVars(dir)}
trap '' HUP PIPE
umask 077
ti="$d/.${NODE_IDENTITY_FILE}.tmp-${id}"
fail() { rm -f "$ti"; printf 'result failed %s\\n' "$1"; exit 0; }
if [ ! -d "$d" ]; then mkdir -p "$d" && chmod 700 "$d" || fail mkdir; fi
${REFUSE_LINK}
cat > "$ti" || fail write
chmod 600 "$ti" || fail write
[ "$(hash_of "$ti")" = ${sha256} ] || fail verify
sync_path "$ti" || fail sync
mv -f "$ti" "$i" || fail rename
sync_path "$d" || fail sync
printf 'result written\\nidentity %s\\n' "$(hash_of "$i")"
`;
}

/** Prints `identity H|absent`: the SHA-256 of the identity file, computed on the node (no secret crosses). */
export function identityDigestScript(dir: string): string {
  return `${identityVars(dir)}
printf 'identity %s\\n' "$(hash_of "$i")"
`;
}

/** Prints `identity N` + N bytes (or `identity absent`), then the same for credentials.age as `sealed`. */
export function rehearsalReadScript(dir: string): string {
  return `${identityVars(dir)}
send() { if [ -f "$2" ]; then printf '%s %s\\n' "$1" "$(($(wc -c < "$2")))"; cat "$2"; else printf '%s absent\\n' "$1"; fi; }
send identity "$i"
send sealed "$s"
`;
}

function invalid(nodeName: string, what: string): ReplicationError {
  return new ReplicationError(
    "REPL_REMOTE_OUTPUT_INVALID",
    `node ${nodeName} answered the ${what} step with unexpected output`,
    {
      category: "incomplete",
      hint: "check that the node has sh and GNU coreutils (sha256sum, wc) on the PATH of the SSH user",
      context: { node: nodeName },
    },
  );
}

/** Parses the identity write; a `failed STEP` result is `REPL_REMOTE_WRITE_FAILED` (the temp was removed). */
export function parseIdentityWriteOutput(stdout: Buffer, stderr: Buffer, nodeName: string, dir: string): string {
  const text = stdout.toString("latin1");
  const written = /^result written\nidentity ([0-9a-f]{64})\n$/.exec(text);
  if (written?.[1] !== undefined) return written[1];
  const step = /^result failed (mkdir|write|verify|sync|rename)\n$/.exec(text)?.[1];
  if (step === undefined) throw invalid(nodeName, "identity write");
  const detail = sanitizeRemoteText(stderr.toString("utf8"));
  throw new ReplicationError(
    "REPL_REMOTE_WRITE_FAILED",
    `could not ${step} the node identity in ${dir} on node ${nodeName}${detail === "" ? "" : `: ${detail}`}; its temp file was removed and the previous identity is untouched`,
    {
      category: "incomplete",
      hint: "check that the directory is writable and its filesystem has free space (df), then run again",
      context: { node: nodeName, path: dir, step },
    },
  );
}

export function parseIdentityDigestOutput(stdout: Buffer, nodeName: string): string | null {
  const match = /^identity (absent|[0-9a-f]{64})\n$/.exec(stdout.toString("latin1"));
  if (match?.[1] === undefined) throw invalid(nodeName, "identity digest");
  return HASH.test(match[1]) ? match[1] : null;
}

/** Parses `identity N` + bytes, `sealed N` + bytes (either may be `absent`); lengths must match exactly. */
export function parseRehearsalOutput(stdout: Buffer, nodeName: string): RehearsalFiles {
  let offset = 0;
  const take = (key: string, max: number): Buffer | null => {
    const end = stdout.indexOf("\n", offset);
    if (end < 0) throw invalid(nodeName, "rehearsal read");
    const line = stdout.subarray(offset, end).toString("latin1");
    offset = end + 1;
    if (line === `${key} absent`) return null;
    const size = new RegExp(`^${key} (0|[1-9][0-9]{0,8})$`).exec(line)?.[1];
    if (size === undefined || Number(size) > max || offset + Number(size) > stdout.length) {
      throw invalid(nodeName, "rehearsal read");
    }
    const bytes = Buffer.from(stdout.subarray(offset, offset + Number(size)));
    offset += Number(size);
    return bytes;
  };
  const identity = take("identity", MAX_REMOTE_IDENTITY_BYTES);
  const sealed = take("sealed", MAX_REMOTE_SEALED_BYTES);
  if (offset !== stdout.length) {
    identity?.fill(0);
    throw invalid(nodeName, "rehearsal read");
  }
  return { identity, sealed };
}
