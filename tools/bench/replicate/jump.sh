#!/bin/bash
# Issue 15's jump-host figure: the whole `connect-ops replicate` process to 12 real sshd containers, 11 of them
# reached only through the first (`jumpHost: "n1"`, ssh2 forwardOut, as backup-utils reaches cluster nodes through
# the primary), against the same 12 nodes reached directly, interleaved. Goal: jump/direct <= 1.5.
# Uses the shared benchmark helpers (../shared/bench/lib); run from the project root after npm ci, with a Docker
# engine, on an IDLE machine.     bash tools/bench/replicate/jump.sh [ROUNDS]
LIB="$(pwd)/../shared/bench/lib"
. "$LIB/common.sh"; . "$LIB/docker.sh"
R=${1:-7}
trap 'cleanup_containers; cleanup' EXIT
ensure_dockerd; ensure_image; start_sim; connect_fresh
BIN="$ROOT/node_modules/.bin/connect-ops"
: >"$T/known_hosts"; direct=""; jumped=""
for i in $(seq 12); do
  p=$(free_port); start_node "n$i" "$p"; cid_var="CID_n$i"
  ip=$(docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "${!cid_var}")
  ssh-keyscan -p "$p" 127.0.0.1 2>/dev/null >>"$T/known_hosts"
  for _ in $(seq 50); do ssh-keyscan -p 122 "$ip" 2>/dev/null >>"$T/known_hosts" && grep -q "$ip" "$T/known_hosts" && break; sleep 0.2; done
  grep -q "$ip" "$T/known_hosts" || fail "n$i ($ip:122) not reachable on the Docker network"
  direct="$direct${direct:+,}{\"name\":\"n$i\",\"host\":\"127.0.0.1\",\"port\":$p,\"user\":\"admin\",\"role\":\"cluster\"}"
  if [ "$i" = 1 ]; then jumped="{\"name\":\"n1\",\"host\":\"127.0.0.1\",\"port\":$p,\"user\":\"admin\",\"role\":\"cluster\"}"
  else jumped="$jumped,{\"name\":\"n$i\",\"host\":\"$ip\",\"port\":122,\"user\":\"admin\",\"role\":\"cluster\",\"jumpHost\":\"n1\"}"; fi
done
ssh_json="{\"identityFile\":\"$T/id_node\",\"knownHostsFile\":\"$T/known_hosts\"}"
echo "{\"ssh\":$ssh_json,\"nodes\":[$direct]}" >"$T/direct.json"
echo "{\"ssh\":$ssh_json,\"nodes\":[$jumped]}" >"$T/jump.json"
for inv in direct jump; do
  "$BIN" --state-dir "$STATE" replicate --inventory "$T/$inv.json" >/dev/null 2>"$T/$inv.err" || fail "initial replicate ($inv) failed: $(tail -1 "$T/$inv.err")"
done
TOKCMD="$BIN --state-dir $STATE token --force >/dev/null"
read -r a b ratio bad < <(node "$LIB/ratio.mjs" "$R" "$TOKCMD && $BIN --state-dir $STATE replicate --inventory $T/jump.json >/dev/null" "$TOKCMD && $BIN --state-dir $STATE replicate --inventory $T/direct.json >/dev/null")
read -r c _ _ _ < <(node "$LIB/ratio.mjs" "$R" "$TOKCMD" "true")
[ "$bad" = 0 ] || echo "warning: $bad timed jump runs failed"
echo "replicate 12 nodes through jump host n1 $(awk -v a="$a" -v c="$c" 'BEGIN{printf "%.0f", a-c}')ms vs direct $(awk -v b="$b" -v c="$c" 'BEGIN{printf "%.0f", b-c}')ms = $(awk -v a="$a" -v b="$b" -v c="$c" 'BEGIN{printf "%.3f", (a-c)/(b-c)}')x (token step ${c}ms subtracted; medians of $R; goal <= 1.5); load $(cut -d' ' -f1-3 /proc/loadavg)"
