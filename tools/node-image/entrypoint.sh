#!/bin/sh
# Entrypoint of the connect-ops test node (a stand-in for a GHES appliance's SSH).
# Host keys: the image was built with ONE set baked in by openssh-server, so every
# node would share it. Generate a fresh set at the first start of each container
# and keep it across restarts (a restarted node must not look like a changed host).
set -eu
if [ ! -f /etc/ssh/.connect-ops-keys ]; then
  rm -f /etc/ssh/ssh_host_*
  ssh-keygen -A >/dev/null
  : > /etc/ssh/.connect-ops-keys
fi
# The authorized key comes from AUTHORIZED_KEY (env) or a file mounted at
# /run/connect-ops/authorized_keys.
install -d -m 0700 -o admin -g admin /home/admin/.ssh
if [ -n "${AUTHORIZED_KEY:-}" ]; then
  printf '%s\n' "$AUTHORIZED_KEY" > /home/admin/.ssh/authorized_keys
elif [ -f /run/connect-ops/authorized_keys ]; then
  cat /run/connect-ops/authorized_keys > /home/admin/.ssh/authorized_keys
fi
if [ -f /home/admin/.ssh/authorized_keys ]; then
  chown admin:admin /home/admin/.ssh/authorized_keys
  chmod 0600 /home/admin/.ssh/authorized_keys
fi
# The appliance path the credentials live under; admin owns it like on GHES.
install -d -m 0755 -o admin -g admin /data/user/common
mkdir -p /run/sshd
exec /usr/sbin/sshd -D -e -p 122
