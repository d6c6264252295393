import { TEMP_NAME_GLOB, VAULT_FILES } from "@connect-ops/credential-vault";
import { lockScript, type NodeLockOptions } from "./node-lock.js";
import { shellQuote } from "./shell-quote.js";

/**
 * The sh scripts run on a node, one per step, each sent as `sh -c '…'` over
 * the node's single SSH connection. They use only tools every appliance has
 * (sh, cat, head, mv, rm, mkdir, chmod, sha256sum, sync) and print a small
 * line protocol that `remote-output.ts` parses strictly.
 */

/**
 * The temps a push leaves if it is killed: credential-vault's scheme
 * (`.NAME.tmp-<12 hex>`, the one `isTempName` recognises), plus
 * `.connect-ops-*.tmp`, the name earlier releases used on nodes.
 */
const TEMPS = `"$d"/${TEMP_NAME_GLOB} "$d"/.connect-ops-*.tmp`;

// hash_of prints the hex digest of a file, or `absent`. hashes NAME... sets H to " H1 H2 …", one digest (or
// `absent`) per name under $d in order, from one sha256sum for all that are files: every process spawned on a
// node costs it milliseconds, times every node at once. The names are ours (no blanks, no backslashes).
const PRELUDE = `
hash_of() { if [ -f "$1" ]; then set -- $(sha256sum < "$1"); printf '%s' "$1"; else printf absent; fi; }
count_temps() { n=0; for f in ${TEMPS}; do if [ -e "$f" ]; then n=$((n + 1)); fi; done; printf '%s' "$n"; }
sync_path() { sync "$@" 2>/dev/null || sync; }
hashes() {
  H=; p=; r=
  for f; do if [ -f "$d/$f" ]; then p="$p $f"; fi; done
  if [ -n "$p" ]; then r=$(cd "$d" && sha256sum -- $p) || return 1; fi
  for f; do case "$p " in *" $f "*) H="$H \${r%%[!0-9a-f]*}"; r=\${r#*"
"} ;; *) H="$H absent" ;; esac; done
}
sweep_temps() { n=0; for f in ${TEMPS}; do if [ -h "$f" ] || { [ -e "$f" ] && [ ! -d "$f" ]; }; then rm -f "$f" || return 1; n=$((n + 1)); fi; done; printf '%s' "$n"; }
`;

/** The first (and only) line every script prints when the target dir is a symbolic link. */
export const REFUSED_SYMLINK = "refused symlink\n";
export const REFUSE_LINK = `if [ -L "$d" ]; then printf 'refused symlink\\n'; exit 0; fi`;

/** Target dir without a trailing slash (`[ -L "dir/" ]` would follow the link). */
export function normalizeNodeDir(dir: string): string {
  return dir.replace(/(.)\/+$/, "$1");
}

/** Variables, helpers, and the refusal of a target dir that is a symbolic link (the script then prints only `refused symlink`). */
export function header(dir: string): string {
  return `d=${shellQuote(normalizeNodeDir(dir))}\ns="$d/${VAULT_FILES.sealed}"\nm="$d/${VAULT_FILES.meta}"\n${PRELUDE}\n${REFUSE_LINK}\n`;
}

/** Prints `probe 1`, `dir 0|1`, `sealed H|absent`, `temps N`, `writable 0|1` (access W_OK, nothing written), then `meta-follows` and the raw meta.json (if any) to the end. */
export function probeScript(dir: string): string {
  return `${header(dir)}${probeSteps()}`;
}

function probeSteps(): string {
  return `
printf 'probe 1\\n'
if [ -d "$d" ]; then printf 'dir 1\\n'; else printf 'dir 0\\n'; fi
printf 'sealed '; hash_of "$s"; printf '\\n'
printf 'temps '; count_temps; printf '\\n'
w="$d"; while [ ! -e "$w" ] && [ "$w" != / ]; do w=$(dirname "$w"); done
if [ -d "$w" ] && [ -w "$w" ]; then printf 'writable 1\\n'; else printf 'writable 0\\n'; fi
if [ -f "$m" ]; then printf 'meta-follows\\n'; cat "$m"; else printf 'meta-absent\\n'; fi
`;
}

export interface CommitScriptInput {
  readonly dir: string;
  /** This push's temp-name id (`newTempId()`: 12 hex digits, safe unquoted in sh). */
  readonly id: string;
  readonly metaLength: number;
  readonly sealedSha256: string;
  readonly metaSha256: string;
  readonly expectedSealed: string | null;
  readonly expectedMeta: string | null;
  /** Take the node-side lock (see node-lock.ts) around sweep, staging and renames. */
  readonly lock?: NodeLockOptions;
}

/**
 * Takes the node-side lock when asked (waiting for another run's commit), removes stale temps of interrupted pushes (our pattern only), reads meta.json (exactly `metaLength` bytes: GNU head -c never reads past
 * its count) then credentials.age (to EOF) from stdin into 0600 temps,
 * verifies, fsyncs, compare-and-swaps on the current hashes, renames sealed,
 * fsyncs the dir, renames meta (the commit record), fsyncs the dir and prints the hashes read back. Ends with one
 * `result committed|conflict|failed STEP` line (plus `sealed`/`meta` lines
 * after a commit). HUP and PIPE are ignored so a client that dies mid-way
 * cannot stop the script between the two renames.
 */
export function commitScript(input: CommitScriptInput): string {
  return `${header(input.dir)}\n${commitSteps(input, input.expectedSealed ?? "absent", input.expectedMeta ?? "absent")}`;
}

/** The body of `commitScript`; the expected hashes are literals (hex or `absent`) or the variables of `pushScript` (checked to be one of those). */
function commitSteps(
  input: Omit<CommitScriptInput, "expectedSealed" | "expectedMeta">,
  es: string,
  em: string,
): string {
  return `trap '' HUP PIPE
umask 077
ts="$d/.${VAULT_FILES.sealed}.tmp-${input.id}"
tm="$d/.${VAULT_FILES.meta}.tmp-${input.id}"
fail() { rm -f "$ts" "$tm"; printf 'result failed %s\\n' "$1"; exit 0; }
if [ ! -d "$d" ]; then mkdir -p "$d" && chmod 700 "$d" || fail mkdir; fi
${REFUSE_LINK}
${input.lock === undefined ? "" : lockScript(input.lock, input.id)}sweep_temps > /dev/null || fail sweep
head -c ${input.metaLength} > "$tm" || fail write
cat > "$ts" || fail write
hashes .${VAULT_FILES.meta}.tmp-${input.id} .${VAULT_FILES.sealed}.tmp-${input.id} ${VAULT_FILES.sealed} ${VAULT_FILES.meta} || fail verify
set -- $H
[ "$1 $2" = "${input.metaSha256} ${input.sealedSha256}" ] || fail verify
if [ "$3 $4" != "${es} ${em}" ]; then
  rm -f "$ts" "$tm"; printf 'result conflict\\n'; exit 0
fi
sync_path "$ts" "$tm" || fail sync
mv -f "$ts" "$s" || fail rename
sync_path "$d" || fail sync
mv -f "$tm" "$m" || fail rename
sync_path "$d" || fail sync
hashes ${VAULT_FILES.sealed} ${VAULT_FILES.meta}
set -- $H
printf 'result committed\\nsealed %s\\nmeta %s\\n' "$1" "$2"
`;
}

/** The line `pushScript` prints after the probe's output (a newline, then this, then a newline); `id` makes it unguessable to the node's files. */
export const probeEndMarker = (id: string): string => `\nprobe-end-${id}\n`;

/**
 * A whole push on one exec channel: prints the probe's output and
 * `probeEndMarker(id)`, then reads one decision line from stdin — `write
 * EXPECTED_SEALED EXPECTED_META` (hex or `absent`) followed by meta.json and
 * credentials.age as for `commitScript`, `sweep`, or `skip` — and runs that
 * step. The client decides (`decidePush`) between the two halves, so a push
 * costs one channel instead of two. End of input before a decision is `skip`.
 */
export function pushScript(input: Omit<CommitScriptInput, "expectedSealed" | "expectedMeta">): string {
  return `${header(input.dir)}${probeSteps()}printf '${probeEndMarker(input.id).replaceAll("\n", "\\n")}'
read -r verb es em || exit 0
case $verb in
write)
  for h in "$es" "$em"; do case $h in absent) ;; '' | *[!0-9a-f]*) exit 0 ;; esac; done
${commitSteps(input, "$es", "$em")};;
sweep)
${sweepSteps()};;
esac
`;
}

/** Removes leftover temp files (never a directory); prints `result swept`, `removed N`. */
export function sweepScript(dir: string): string {
  return `${header(dir)}\n${sweepSteps()}`;
}

function sweepSteps(): string {
  return `trap '' HUP PIPE
n=$(sweep_temps) || { printf 'result failed sweep\\n'; exit 0; }
if [ "$n" -gt 0 ]; then sync_path "$d"; fi
printf 'result swept\\nremoved %s\\n' "$n"
`;
}

/** Removes the sealed file first (the secret), then meta and temps; prints `result done`, `removed N`, `remaining N`. */
export function removeScript(dir: string): string {
  return `${header(dir)}
trap '' HUP PIPE
removed=0
for f in "$s" "$m" ${TEMPS}; do
  if [ -e "$f" ] || [ -h "$f" ]; then rm -f "$f" || { printf 'result failed remove\\n'; exit 0; }; removed=$((removed + 1)); fi
done
if [ -d "$d" ] && [ "$removed" -gt 0 ]; then sync_path "$d"; fi
left=$(count_temps)
for f in "$s" "$m"; do if [ -e "$f" ]; then left=$((left + 1)); fi; done
printf 'result done\\nremoved %s\\nremaining %s\\n' "$removed" "$left"
`;
}
