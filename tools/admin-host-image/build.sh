#!/bin/sh
# Builds the fleet test's admin-host image (issue 19) with no registry, like
# tools/node-image/build.sh: mmdebstrap (the machine's own apt sources) + docker
# import. openssh-server, python3 (Ansible's modules) and sudo (become).
# Usage: build.sh [TAG]; TAG defaults to ADMIN_HOST_IMAGE_TAG in
# packages/test-support/src/node-image.ts.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
tag=${1:-$(sed -n 's/^export const ADMIN_HOST_IMAGE_TAG = "\(.*\)";$/\1/p' "$here/../../packages/test-support/src/node-image.ts")}
[ -n "$tag" ] || { echo "build.sh: cannot read ADMIN_HOST_IMAGE_TAG from packages/test-support/src/node-image.ts" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM
mmdebstrap --variant=minbase --quiet \
  --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-exclude=/usr/share/man/*' \
  --dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-exclude=/usr/share/info/*' \
  --include=openssh-server,python3,sudo,coreutils,passwd \
  --customize-hook='chroot "$1" useradd --create-home --shell /bin/sh admin' \
  --customize-hook='chroot "$1" passwd -l admin >/dev/null' \
  --customize-hook='echo "admin ALL=(ALL) NOPASSWD: ALL" > "$1/etc/sudoers.d/admin" && chmod 0440 "$1/etc/sudoers.d/admin"' \
  --customize-hook="upload $here/entrypoint.sh /usr/local/bin/connect-ops-entrypoint" \
  --customize-hook='chmod 0755 "$1/usr/local/bin/connect-ops-entrypoint"' \
  --customize-hook='rm -rf "$1"/var/cache/apt/archives/*.deb "$1"/var/lib/apt/lists/*' \
  bookworm "$work/rootfs.tar" </dev/null
docker import \
  --change 'ENTRYPOINT ["/usr/local/bin/connect-ops-entrypoint"]' \
  "$work/rootfs.tar" "$tag" >/dev/null
echo "$tag"
