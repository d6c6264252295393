import type { NodeSpec, SshOptions } from "@connect-ops/replication";
import { homedir } from "node:os";
import { join } from "node:path";
import type { CommandContext } from "../context.js";
import { usageError } from "../errors.js";
import { parseNodeList, type Topology, type TopologyFlags } from "../flows/inventory.js";

// Part of the composition root (src/wiring/): the topology flags and files, read against the
// command's working directory and environment, become the nodes and SSH options the lifecycles take.

function requireFileFlag(value: string | undefined, flag: string): string | undefined {
  if (value === undefined) return undefined;
  if (value.trim() === "") throw usageError(`${flag} is empty`, `pass ${flag} FILE`);
  return value;
}

/** At most this per node: a longer bound only delays the report of a node that is down. */
const MAX_CONNECT_TIMEOUT_MS = 10 * 60_000;

/**
 * `--connect-timeout 5s` in ms (undefined when absent): a duration from 1 s to 10 min.
 * Throws `CLI_USAGE` naming the flag.
 */
export async function connectTimeoutMs(raw: string | undefined): Promise<number | undefined> {
  if (raw === undefined) return undefined;
  const { parseDuration } = await import("@connect-ops/connection-core");
  let ms: number;
  try {
    ms = parseDuration(raw, "--connect-timeout");
  } catch {
    ms = Number.NaN;
  }
  if (!(ms >= 1000 && ms <= MAX_CONNECT_TIMEOUT_MS)) {
    throw usageError(
      "--connect-timeout must be a duration from 1s to 10m, such as 5s or 1m",
      "pass e.g. --connect-timeout 5s, or leave it out for the default 10s",
    );
  }
  return ms;
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
  const timeout = await connectTimeoutMs(flags.connectTimeout);

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
    ...(timeout === undefined ? {} : { connectTimeoutMs: timeout }),
    env: context.io.env,
  };
  return { source, all, nodes, ssh, knownHostsFile };
}
