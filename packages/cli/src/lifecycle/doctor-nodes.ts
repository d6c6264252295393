import type { NodeProbe } from "@connect-ops/replication";
import { row, type DoctorRow } from "./doctor.js";

const HOST_KEY_CODES = new Set([
  "REPL_HOST_KEY_UNKNOWN",
  "REPL_HOST_KEY_CHANGED",
  "REPL_HOST_KEY_REVOKED",
  "REPL_KNOWN_HOSTS_INVALID",
]);
const BEFORE_HANDSHAKE = new Set(["REPL_UNREACHABLE", "REPL_TIMEOUT", "REPL_CONNECTION_LOST"]);

/**
 * Three rows per node from one read-only probe (the replication package's `probeNodes`, which never records a host
 * key and writes nothing): known_hosts entry (the host key it presented is the one known_hosts holds), SSH login,
 * target dir writable (access W_OK on the dir or its nearest existing ancestor, nothing created).
 */
export function nodeRows(probes: readonly NodeProbe[], localNodes: ReadonlySet<string>): DoctorRow[] {
  return probes.flatMap((probe) => {
    const target = probe.name;
    if (localNodes.has(target)) return localNodeRows(probe);
    const error = probe.error;
    const hint = error?.hint ?? "see docs/replication.md";
    if (error !== undefined && HOST_KEY_CODES.has(error.code)) {
      return [
        row("known-hosts", target, "fail", error.message, hint),
        row("ssh-login", target, "skip", "not tried: the host key is not trusted"),
        row("target-dir", target, "skip", "not checked: no login"),
      ];
    }
    if (error !== undefined) {
      const early = BEFORE_HANDSHAKE.has(error.code);
      return [
        early
          ? row("known-hosts", target, "skip", "not checked: the node could not be reached")
          : row("known-hosts", target, "pass", "the host key it presented is the one known_hosts holds"),
        row("ssh-login", target, "fail", error.message, hint),
        row("target-dir", target, "skip", "not checked: no login"),
      ];
    }
    const known =
      probe.status === "ok" || probe.status === "absent"
        ? row("known-hosts", target, "pass", "the host key it presented is the one known_hosts holds")
        : row("known-hosts", target, "skip", "not checked");
    const writable =
      probe.writable === undefined
        ? row("target-dir", target, "skip", "the transport does not report it")
        : probe.writable
          ? row("target-dir", target, "pass", "the target dir (or the ancestor it will be created in) is writable")
          : row(
              "target-dir",
              target,
              "fail",
              "the SSH user cannot write the target dir (nor create it: its nearest existing ancestor is not writable)",
              "on the node, give the SSH user the dir: `sudo install -d -m 700 -o USER DIR` (the inventory's path), or set the node's sudo in the inventory",
            );
    return [known, row("ssh-login", target, "pass", "logged in and read the target dir"), writable];
  });
}

/** A `local` node (a directory on this host): no host key, no login; its dir is checked the same way. */
function localNodeRows(probe: NodeProbe): DoctorRow[] {
  const target = probe.name;
  const rows = [
    row("known-hosts", target, "skip", "a local node: no SSH"),
    row("ssh-login", target, "skip", "a local node: no SSH"),
  ];
  if (probe.error !== undefined)
    return [
      ...rows,
      row("target-dir", target, "fail", probe.error.message, probe.error.hint ?? "see docs/replication.md"),
    ];
  return [
    ...rows,
    probe.writable === true
      ? row("target-dir", target, "pass", "the target dir (or the ancestor it will be created in) is writable")
      : row("target-dir", target, "fail", "the target dir is not writable", "fix the permissions of the node's path"),
  ];
}
