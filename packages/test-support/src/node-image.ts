/**
 * Tag of the locally built test-node image (tools/node-image/build.sh), the one
 * place it is named: the sshd-container starter and the bench import it, and the
 * build and CI scripts read it from this line.
 */
export const NODE_IMAGE_TAG = "connect-ops/ghes-node:2";

/** Tag of the fleet test's admin-host image (tools/admin-host-image/build.sh: sshd, python3, sudo). */
export const ADMIN_HOST_IMAGE_TAG = "connect-ops/admin-host:1";
