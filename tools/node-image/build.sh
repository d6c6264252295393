#!/bin/sh
# Builds the test-node image with no registry: mmdebstrap (the machine's own apt
# sources, so no mirror argument) + `docker import`. Usage: build.sh [TAG]
# TAG defaults to NODE_IMAGE_TAG in packages/test-support/src/node-image.ts.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
tag=${1:-$(sed -n 's/^export const NODE_IMAGE_TAG = "\(.*\)";$/\1/p' "$here/../../packages/test-support/src/node-image.ts")}
[ -n "$tag" ] || { echo "build.sh: cannot read NODE_IMAGE_TAG from $here/../../packages/test-support/src/node-image.ts" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM
# The customize hooks run after package install inside the chroot: add the admin
# user (locked password, key-only login) and install the entrypoint. sudo is
# installed but grants nothing until the entrypoint is told (NODE_SUDO) how GHES
# would: admin with passwordless sudo, or one whose sudo asks for a password.
# Docs, man pages and translations are excluded: with dockerd's vfs storage
# every container copies the whole image, so its size is container start time.
mmdebstrap --variant=minbase --quiet \
  --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-exclude=/usr/share/man/*' \
  --dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-exclude=/usr/share/info/*' \
  --include=openssh-server,coreutils,passwd,sudo,netcat-openbsd \
  --customize-hook='chroot "$1" useradd --create-home --shell /bin/sh admin' \
  --customize-hook='chroot "$1" passwd -l admin >/dev/null' \
  --customize-hook="upload $here/entrypoint.sh /usr/local/bin/connect-ops-entrypoint" \
  --customize-hook='chmod 0755 "$1/usr/local/bin/connect-ops-entrypoint"' \
  --customize-hook='rm -rf "$1"/var/cache/apt/archives/*.deb "$1"/var/lib/apt/lists/*' \
  bookworm "$work/rootfs.tar" </dev/null
docker import \
  --change 'ENTRYPOINT ["/usr/local/bin/connect-ops-entrypoint"]' \
  --change 'EXPOSE 122' \
  "$work/rootfs.tar" "$tag" >/dev/null
echo "$tag"
