import type { NodeSpec, SshOptions } from "@connect-ops/replication";
import { usageError } from "../errors.js";

/** The topology flags shared by replicate, status, failover-check, disconnect and verify-cleanup. */
export interface TopologyFlags {
  readonly inventory?: string;
  readonly clusterConf?: string;
  /** `--nodes a,b` exactly as typed. */
  readonly nodes?: string;
  readonly identityFile?: string;
  readonly knownHostsFile?: string;
  readonly acceptNewHostKeys?: boolean;
  /** `--connect-timeout 5s` exactly as typed. */
  readonly connectTimeout?: string;
}

/** The nodes a command works on and how to reach them. */
export interface Topology {
  /** The file the nodes came from, as the operator typed it (for messages). */
  readonly source: string;
  /** Every node of the file, in file order. */
  readonly all: readonly NodeSpec[];
  /** The nodes `--nodes` selected (all when absent), in file order. */
  readonly nodes: readonly NodeSpec[];
  readonly ssh: SshOptions;
  /** The known_hosts file host keys are checked against (for hints on refused keys). */
  readonly knownHostsFile: string;
}

// Same rule as the inventory's node names, so a typo is caught here with the flag named.
const NODE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

/**
 * Parses `--nodes a,b`: non-empty, comma separated, no duplicates.
 * Throws `CLI_USAGE` naming the flag.
 */
export function parseNodeList(raw: string): string[] {
  const names = raw.split(",").map((name) => name.trim());
  const bad = names.filter((name) => !NODE_NAME.test(name));
  if (names.length === 0 || bad.length > 0) {
    throw usageError(
      "--nodes expects comma-separated node names (letters, digits, . _ -) and got an empty or invalid one",
      "pass names from the inventory, e.g. --nodes ghes-replica,ghes-data-2",
    );
  }
  const duplicates = names.filter((name, index) => names.indexOf(name) !== index);
  if (duplicates.length > 0)
    throw usageError(`--nodes names ${duplicates.join(", ")} more than once`, "list each node once");
  return names;
}
