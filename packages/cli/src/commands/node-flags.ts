import type { Command } from "commander";

/** What a command does with nodes, which decides the node flags it takes. */
export interface NodeFlagSpec {
  /** What `--inventory FILE` means for this command (its help line). */
  readonly inventory: string;
  /** `--nodes a,b` narrows the command to some nodes (false where it must cover every node: disconnect, audit). */
  readonly select: boolean;
  /** The command writes to nodes: it takes `--accept-new-host-keys` (a read never records a host key). */
  readonly writes: boolean;
}

/**
 * Registers the node flags every command that touches nodes takes, spelled once (issue 15, item 3):
 * `--inventory | --cluster-conf`, `--nodes` where the command may narrow, `--identity-file`,
 * `--known-hosts`, `--connect-timeout`, and `--accept-new-host-keys` only where it writes. `flows/topology-options.ts`
 * turns the parsed values into the composition root's `TopologyFlags`.
 */
export function withNodeFlags(command: Command, spec: NodeFlagSpec): Command {
  command
    .option("--inventory <file>", spec.inventory)
    .option("--cluster-conf <file>", "the same, with the node list from a GHES cluster.conf");
  if (spec.select) command.option("--nodes <names>", "only these nodes, comma separated");
  command
    .option("--identity-file <file>", "SSH private key (default: the inventory's ssh.identityFile, else ssh-agent)")
    .option(
      "--known-hosts <file>",
      "known_hosts file (default: the inventory's ssh.knownHostsFile, else ~/.ssh/known_hosts)",
    )
    .option(
      "--connect-timeout <duration>",
      "per node: bound on TCP connect + SSH handshake + login, e.g. 5s (default 10s)",
    );
  if (spec.writes) {
    command.option(
      "--accept-new-host-keys",
      "record the host key of a node not yet in known_hosts (never replaces a changed key)",
    );
  }
  return command;
}
