import { VAULT_FILES } from "@connect-ops/credential-vault";

/**
 * The sh scripts run on a node, one per step, each sent as `sh -c '…'` over
 * the node's single SSH connection. They use only tools every appliance has
 * (sh, cat, head, mv, rm, mkdir, chmod, sha256sum, sync) and print a small
 * line protocol that `remote-output.ts` parses strictly.
 */

/** Quotes a value for sh: single quotes, with each `'` written as `'\''`. */
export function shellQuote(value: string): string {
  return `'${value.replaceAll("'", "'\\''")}'`;
}

// hash_of prints the hex digest of a file, or `absent`.
const PRELUDE = `
hash_of() { if [ -f "$1" ]; then set -- $(sha256sum < "$1"); printf '%s' "$1"; else printf absent; fi; }
count_temps() { n=0; for f in "$d"/.connect-ops-*.tmp; do if [ -e "$f" ]; then n=$((n + 1)); fi; done; printf '%s' "$n"; }
sync_path() { sync "$@" 2>/dev/null || sync; }
`;

function header(dir: string): string {
  return `d=${shellQuote(dir)}\ns="$d/${VAULT_FILES.sealed}"\nm="$d/${VAULT_FILES.meta}"\n${PRELUDE}`;
}

/** Prints `probe 1`, `dir 0|1`, `sealed H|absent`, `temps N`, then `meta-follows` and the raw meta.json (if any) to the end. */
export function probeScript(dir: string): string {
  return `${header(dir)}
printf 'probe 1\\n'
if [ -d "$d" ]; then printf 'dir 1\\n'; else printf 'dir 0\\n'; fi
printf 'sealed %s\\n' "$(hash_of "$s")"
printf 'temps %s\\n' "$(count_temps)"
if [ -f "$m" ]; then printf 'meta-follows\\n'; cat "$m"; else printf 'meta-absent\\n'; fi
`;
}

export interface CommitScriptInput {
  readonly dir: string;
  /** Random hex id of this push's temp files. */
  readonly id: string;
  readonly metaLength: number;
  readonly sealedSha256: string;
  readonly metaSha256: string;
  readonly expectedSealed: string | null;
  readonly expectedMeta: string | null;
}

/**
 * Reads meta.json (exactly `metaLength` bytes: GNU head -c never reads past
 * its count) then credentials.age (to EOF) from stdin into 0600 temps,
 * verifies, fsyncs, compare-and-swaps on the current hashes, renames sealed
 * then meta, fsyncs the dir and prints the hashes read back. Ends with one
 * `result committed|conflict|failed STEP` line (plus `sealed`/`meta` lines
 * after a commit). HUP and PIPE are ignored so a client that dies mid-way
 * cannot stop the script between the two renames.
 */
export function commitScript(input: CommitScriptInput): string {
  const expectedSealed = input.expectedSealed ?? "absent";
  const expectedMeta = input.expectedMeta ?? "absent";
  return `${header(input.dir)}
trap '' HUP PIPE
umask 077
ts="$d/.connect-ops-${input.id}.${VAULT_FILES.sealed}.tmp"
tm="$d/.connect-ops-${input.id}.${VAULT_FILES.meta}.tmp"
fail() { rm -f "$ts" "$tm"; printf 'result failed %s\\n' "$1"; exit 0; }
if [ ! -d "$d" ]; then mkdir -p "$d" && chmod 700 "$d" || fail mkdir; fi
head -c ${input.metaLength} > "$tm" || fail write
cat > "$ts" || fail write
[ "$(hash_of "$tm")" = ${input.metaSha256} ] || fail verify
[ "$(hash_of "$ts")" = ${input.sealedSha256} ] || fail verify
sync_path "$ts" "$tm" || fail sync
if [ "$(hash_of "$s")" != ${expectedSealed} ] || [ "$(hash_of "$m")" != ${expectedMeta} ]; then
  rm -f "$ts" "$tm"; printf 'result conflict\\n'; exit 0
fi
mv -f "$ts" "$s" || fail rename
mv -f "$tm" "$m" || fail rename
sync_path "$d" || fail sync
printf 'result committed\\nsealed %s\\nmeta %s\\n' "$(hash_of "$s")" "$(hash_of "$m")"
`;
}

/** Removes the sealed file first (the secret), then meta and temps; prints `result done`, `removed N`, `remaining N`. */
export function removeScript(dir: string): string {
  return `${header(dir)}
trap '' HUP PIPE
removed=0
for f in "$s" "$m" "$d"/.connect-ops-*.tmp; do
  if [ -e "$f" ] || [ -h "$f" ]; then rm -f "$f" || { printf 'result failed remove\\n'; exit 0; }; removed=$((removed + 1)); fi
done
if [ -d "$d" ] && [ "$removed" -gt 0 ]; then sync_path "$d"; fi
left=$(count_temps)
for f in "$s" "$m"; do if [ -e "$f" ]; then left=$((left + 1)); fi; done
printf 'result done\\nremoved %s\\nremaining %s\\n' "$removed" "$left"
`;
}
