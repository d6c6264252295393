#!/bin/sh
# Prepares the Docker engine and the test-node image for integration tests and
# the bench. Idempotent: installs only what is missing, starts dockerd only if
# none answers, builds the image only if its tag is missing.
#   tools/ci/docker.sh          install + start + build
#   tools/ci/docker.sh stop     stop the dockerd this script started (no other)
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
state=${CONNECT_OPS_DOCKER_STATE:-/tmp/connect-ops-docker}
pidfile="$state/dockerd.pid"
mkdir -p "$state"

stop_dockerd() {
  if [ -f "$pidfile" ]; then
    pid=$(cat "$pidfile")
    if kill -0 "$pid" 2>/dev/null; then
      kill "$pid"
      i=0
      while kill -0 "$pid" 2>/dev/null && [ $i -lt 60 ]; do sleep 0.5; i=$((i + 1)); done
    fi
    rm -f "$pidfile"
    echo "docker.sh: stopped dockerd $pid"
  else
    echo "docker.sh: no dockerd started by this script"
  fi
}

if [ "${1:-}" = "stop" ]; then stop_dockerd; exit 0; fi

missing=""
command -v dockerd >/dev/null 2>&1 || missing="$missing docker.io"
command -v mmdebstrap >/dev/null 2>&1 || missing="$missing mmdebstrap"
command -v ssh >/dev/null 2>&1 && command -v ssh-keygen >/dev/null 2>&1 || missing="$missing openssh-client"
if [ -n "$missing" ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  # shellcheck disable=SC2086 # word splitting of the package list is intended
  apt-get install -y -q --no-install-recommends $missing
fi

if ! docker info >/dev/null 2>&1; then
  # No registry is reachable and the box has no iptables rules to manage:
  # vfs storage works on any filesystem, including overlay roots.
  dockerd --iptables=false --ip6tables=false --storage-driver=vfs >"$state/dockerd.log" 2>&1 &
  echo $! >"$pidfile"
  i=0
  until docker info >/dev/null 2>&1; do
    i=$((i + 1))
    if [ $i -gt 120 ]; then echo "docker.sh: dockerd did not answer in 60 s; see $state/dockerd.log" >&2; exit 1; fi
    sleep 0.5
  done
  echo "docker.sh: started dockerd $(cat "$pidfile")"
fi

tag=$(sed -n 's/^export const NODE_IMAGE_TAG = "\(.*\)";$/\1/p' "$root/packages/test-support/src/node-image.ts")
if ! docker image inspect "$tag" >/dev/null 2>&1; then
  "$root/tools/node-image/build.sh" "$tag"
fi
echo "docker.sh: ready ($tag)"
admin_tag=$(sed -n 's/^export const ADMIN_HOST_IMAGE_TAG = "\(.*\)";$/\1/p' "$root/packages/test-support/src/node-image.ts")
if ! docker image inspect "$admin_tag" >/dev/null 2>&1; then
  "$root/tools/admin-host-image/build.sh" "$admin_tag"
fi
echo "docker.sh: ready ($admin_tag)"
