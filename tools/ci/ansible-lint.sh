#!/bin/sh
# ansible-lint over deploy/ansible (issue 19), as npm test's lint stage runs it: the
# collection is resolved as connect_ops.connect_ops through a scratch collections
# path, and --offline keeps ansible-lint from asking Galaxy for anything.
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
command -v ansible-lint >/dev/null 2>&1 || { echo "ansible-lint.sh: ansible-lint is not installed (tools/ci/setup)" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM
mkdir -p "$work/ansible_collections/connect_ops"
ln -s "$root/deploy/ansible" "$work/ansible_collections/connect_ops/connect_ops"
cd "$root/deploy/ansible"
HOME="$work" ANSIBLE_COLLECTIONS_PATH="$work" ANSIBLE_LOCAL_TEMP="$work/tmp" ansible-lint --offline --nocolor -q
