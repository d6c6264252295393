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
# The appliance path the credentials live under. Default: admin owns it. With
# NODE_SUDO set the node is modelled on a real GHES appliance: /data/user/common
# is root's, and admin gets there only through sudo: `nopasswd` grants
# passwordless sudo (as GHES does), `password` makes sudo ask for one (admin's
# password is locked, so `sudo -n` fails).
case "${NODE_SUDO:-}" in
  nopasswd)
    printf 'admin ALL=(ALL) NOPASSWD: ALL\n' > /etc/sudoers.d/admin
    chmod 0440 /etc/sudoers.d/admin
    install -d -m 0755 -o root -g root /data/user/common
    ;;
  password)
    printf 'admin ALL=(ALL) ALL\n' > /etc/sudoers.d/admin
    chmod 0440 /etc/sudoers.d/admin
    install -d -m 0755 -o root -g root /data/user/common
    ;;
  *)
    install -d -m 0755 -o admin -g admin /data/user/common
    ;;
esac
mkdir -p /run/sshd
exec /usr/sbin/sshd -D -e -p 122
