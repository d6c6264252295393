#!/bin/sh
# Entrypoint of the fleet test's admin host (issue 19): an sshd with python3 and
# sudo, the way Ansible finds a backup or admin host. Started with --network host,
# so it listens on 127.0.0.1 only, on SSHD_PORT (each container its own port),
# and reaches the github-sim the test runs on 127.0.0.1.
set -eu
port=${SSHD_PORT:?SSHD_PORT is required}
if [ ! -f /etc/ssh/.connect-ops-keys ]; then
  rm -f /etc/ssh/ssh_host_*
  ssh-keygen -A >/dev/null
  : > /etc/ssh/.connect-ops-keys
fi
install -d -m 0700 -o admin -g admin /home/admin/.ssh
printf '%s\n' "${AUTHORIZED_KEY:?AUTHORIZED_KEY is required}" > /home/admin/.ssh/authorized_keys
chown admin:admin /home/admin/.ssh/authorized_keys
chmod 0600 /home/admin/.ssh/authorized_keys
mkdir -p /run/sshd
exec /usr/sbin/sshd -D -e -p "$port" -o ListenAddress=127.0.0.1 -o PasswordAuthentication=no
