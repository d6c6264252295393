import { hostname } from "node:os";
import { ReplicationError, sanitizeRemoteText } from "./errors.js";
import { shellQuote } from "./shell-quote.js";

/**
 * The node-side lock of a commit: a directory `.connect-ops.lock` in the
 * target dir, made with `mkdir` (atomic on every filesystem) by the node
 * script and removed by it on exit, so two primaries (two state dirs, two
 * machines) never interleave their renames on one node. Its `owner` file holds
 * `<node epoch seconds> <holder>`; like the vault's lock, a lock whose owner
 * is older than `NODE_LOCK_STALE_SECONDS` (or a lock dir without an owner,
 * that old) was left by a killed script and is broken, the break itself
 * serialised by a `.connect-ops.lock.break` dir.
 */
export const NODE_LOCK_DIR = ".connect-ops.lock";
export const NODE_LOCK_STALE_SECONDS = 120;

export interface NodeLockOptions {
  /** Who holds the lock, shown to a run that waits in vain: host and pid of this process by default. */
  readonly holder: string;
  /** How long the script waits for another holder before giving up (`result locked`). */
  readonly waitMs: number;
}

/** `<host> pid <pid>`, reduced to characters safe in a one-line owner record. */
export function defaultLockHolder(): string {
  return `${hostname()} pid ${process.pid}`.replace(/[^A-Za-z0-9._:@ -]/g, "_").slice(0, 120);
}

/**
 * sh that takes the lock (after `header` and the commit's `fail`, with `$d`
 * existing), waiting up to `waitMs`, and releases it on exit. Prints
 * `result locked <owner>` and exits when the wait runs out; a lock that
 * cannot be made at all (read-only dir, full disk) is `result failed lock`.
 */
export function lockScript(lock: NodeLockOptions, id: string): string {
  const tenths = Math.max(1, Math.ceil(lock.waitMs / 100));
  const holder = lock.holder.replace(/[^A-Za-z0-9._:@ -]/g, "_").slice(0, 120);
  return `lk="$d/${NODE_LOCK_DIR}"
lk_take() {
  mkdir "$lk" 2>/dev/null || return 1
  if printf '%s %s\\n' "$(date +%s)" ${shellQuote(holder)} > "$lk/owner.${id}" && mv -f "$lk/owner.${id}" "$lk/owner"; then return 0; fi
  rm -rf "$lk"; fail lock
}
lk_age() { now=$(date +%s); if [ -f "$1/owner" ]; then set -- $(head -c 200 "$1/owner") 0; t=$1; else t=$(stat -c %Y "$1" 2>/dev/null || echo "$now"); fi; case $t in *[!0-9]*|'') t=0;; esac; printf '%s' $((now - t)); }
lk_break() {
  if [ -d "$lk.break" ] && [ "$(lk_age "$lk.break")" -gt ${NODE_LOCK_STALE_SECONDS} ]; then rmdir "$lk.break" 2>/dev/null; fi
  mkdir "$lk.break" 2>/dev/null || return 0
  if [ -d "$lk" ] && [ "$(lk_age "$lk")" -gt ${NODE_LOCK_STALE_SECONDS} ]; then rm -rf "$lk"; fi
  rmdir "$lk.break"
}
waited=0
until lk_take; do
  if [ ! -d "$lk" ]; then
    # Not held, yet not made: the directory is not writable. Fail with mkdir's own error, not as "locked".
    if lk_take; then break; fi
    [ -d "$lk" ] || { mkdir "$lk" && rmdir "$lk"; fail lock; }
  fi
  lk_break
  if [ "$waited" -ge ${tenths} ]; then printf 'result locked %s\\n' "$(head -c 200 "$lk/owner" 2>/dev/null | tr -c 'A-Za-z0-9._:@ \\n-' _ | head -n 1)"; exit 0; fi
  sleep 0.1; waited=$((waited + 1))
done
trap 'rm -rf "$lk"' EXIT
`;
}

/** `result locked <epoch> <holder>` → `REPL_NODE_LOCKED` naming the holder; undefined for any other output. */
export function lockedError(text: string, nodeName: string, waitMs: number): ReplicationError | undefined {
  const match = /^result locked ?(.*)\n$/.exec(text);
  if (match === null) return undefined;
  const [since, ...rest] = (match[1] ?? "").split(" ");
  const holder = sanitizeRemoteText(rest.join(" ")) || "an unknown holder";
  const sinceIso = /^\d{1,12}$/.test(since ?? "") ? new Date(Number(since) * 1000).toISOString() : "an unknown time";
  return new ReplicationError(
    "REPL_NODE_LOCKED",
    `node ${nodeName} is being written by another connect-ops run (${holder}, since ${sinceIso}); waited ${Math.round(waitMs / 1000)} s`,
    {
      category: "incomplete",
      hint: `let the other run (${holder}) finish, then run again; a lock left by a killed run is broken after ${NODE_LOCK_STALE_SECONDS} s`,
      context: { node: nodeName, holder, since: sinceIso },
    },
  );
}
