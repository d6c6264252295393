import type { NodeSpec, SshOptions } from "@connect-ops/replication";
import { homedir } from "node:os";
import { join } from "node:path";
import type { CommandContext } from "../context.js";
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

function requireFileFlag(value: string | undefined, flag: string): string | undefined {
  if (value === undefined) return undefined;
  if (value.trim() === "") throw usageError(`${flag} is empty`, `pass ${flag} FILE`);
  return value;
}

/**
 * Loads the node list from `--inventory FILE` or `--cluster-conf FILE`
 * (exactly one), applies `--nodes`, and resolves the SSH settings: flags win
 * over the inventory's `ssh` block; without an identity the ssh-agent is
 * used, without a known_hosts file `~/.ssh/known_hosts`.
 * Throws `CLI_USAGE` for bad flags and the replication package's input errors
 * (`REPL_INVENTORY_INVALID` naming the field path, `REPL_CLUSTER_CONF_INVALID`
 * with the line number) for bad files; all exit 2.
 */
export async function loadTopology(context: CommandContext, flags: TopologyFlags): Promise<Topology> {
  const inventory = requireFileFlag(flags.inventory, "--inventory");
  const clusterConf = requireFileFlag(flags.clusterConf, "--cluster-conf");
  const identityFile = requireFileFlag(flags.identityFile, "--identity-file");
  const knownHostsFlag = requireFileFlag(flags.knownHostsFile, "--known-hosts");
  if (inventory !== undefined && clusterConf !== undefined) {
    throw usageError("--inventory and --cluster-conf are mutually exclusive", "pass one of them");
  }
  if (inventory === undefined && clusterConf === undefined) {
    throw usageError(
      "no nodes: pass --inventory FILE or --cluster-conf FILE",
      "see docs/replication.md for the inventory format",
    );
  }
  const wanted = flags.nodes === undefined ? undefined : parseNodeList(flags.nodes);

  const { readClusterConfFile, readInventoryFile } = await import("@connect-ops/replication");
  const source = (inventory ?? clusterConf) as string;
  let all: readonly NodeSpec[];
  let fileSsh: { identityFile?: string; knownHostsFile?: string } = {};
  if (inventory !== undefined) {
    const parsed = await readInventoryFile(context.resolvePath(inventory));
    all = parsed.nodes;
    fileSsh = parsed.ssh;
  } else {
    all = await readClusterConfFile(context.resolvePath(source));
  }

  let nodes = all;
  if (wanted !== undefined) {
    const known = new Set(all.map((node) => node.name));
    const unknown = wanted.filter((name) => !known.has(name));
    if (unknown.length > 0) {
      throw usageError(
        `--nodes names ${unknown.join(", ")}, which ${source} does not list`,
        `use names from ${source}: ${[...known].join(", ")}`,
      );
    }
    nodes = all.filter((node) => wanted.includes(node.name));
  }

  const resolvedIdentity = identityFile === undefined ? fileSsh.identityFile : context.resolvePath(identityFile);
  const knownHostsFile =
    knownHostsFlag === undefined
      ? (fileSsh.knownHostsFile ?? join(context.io.env.HOME ?? homedir(), ".ssh", "known_hosts"))
      : context.resolvePath(knownHostsFlag);
  const ssh: SshOptions = {
    knownHostsFile,
    ...(resolvedIdentity === undefined ? {} : { identityFile: resolvedIdentity }),
    acceptNewHostKeys: flags.acceptNewHostKeys === true,
    env: context.io.env,
  };
  return { source, all, nodes, ssh, knownHostsFile };
}
