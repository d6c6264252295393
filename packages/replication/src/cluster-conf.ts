import { ReplicationError } from "./errors.js";
import { GitConfigSyntaxError, parseGitConfig, type GitConfigSection } from "./git-config.js";
import { DEFAULT_NODE_PATH, GHES_SSH_PORT, GHES_SSH_USER, type NodeRole, type NodeSpec } from "./inventory.js";

export interface ImportClusterConfOptions {
  /** Where the credentials live on each node (default `/data/user/common/github-connect`). */
  readonly path?: string;
}

const HOST = /^[A-Za-z0-9_][A-Za-z0-9.:_-]{0,252}$/;
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

/**
 * Builds the node list from a GHES `cluster.conf` (git-config syntax).
 *
 * Each `[cluster "NAME"]` section is a node. Host: `ipv6`, else `ipv4`, else
 * `hostname` (the order backup-utils' ghe-ssh-config uses). Role:
 * `replica = enabled` → `replica`, every other node → `cluster`: which node
 * runs connect-ops is not in cluster.conf (`mysql-master` is MySQL's primary,
 * not the tool's). Every node is a GHES appliance: port 122, user `admin`,
 * the script through `sudo -n` (admin reaches /data/user/common only as root). Throws
 * `REPL_CLUSTER_CONF_INVALID` (input) with the line number of the problem.
 */
export function importClusterConf(text: string, source: string, options: ImportClusterConfOptions = {}): NodeSpec[] {
  const fail = (line: number, problem: string): never => {
    throw new ReplicationError("REPL_CLUSTER_CONF_INVALID", `${source} line ${line}: ${problem}`, {
      category: "input",
      hint: `fix ${source} (ghe-cluster-config-check validates it on the appliance) or use an inventory file`,
      context: { source, line },
    });
  };
  let sections: GitConfigSection[];
  try {
    sections = parseGitConfig(text);
  } catch (error) {
    if (error instanceof GitConfigSyntaxError) return fail(error.line, error.problem);
    throw error;
  }
  const global = sections.filter((section) => section.section === "cluster" && section.subsection === undefined);
  const mysqlMaster = global.flatMap((section) => section.entries).find((entry) => entry.key === "mysql-master");
  const nodeSections = sections.filter((section) => section.section === "cluster" && section.subsection !== undefined);
  if (nodeSections.length === 0) return fail(1, 'no [cluster "NAME"] node sections');

  const drafts = nodeSections.map((section) => {
    const name = section.subsection ?? "";
    if (!NAME.test(name)) fail(section.line, "node name must be letters, digits, . _ -");
    const value = (key: string): { value: string; line: number } | undefined => {
      const entries = section.entries.filter((entry) => entry.key === key);
      const last = entries.at(-1);
      return last === undefined ? undefined : { value: last.value, line: last.line };
    };
    const hostname = value("hostname");
    if (hostname !== undefined && hostname.value !== name)
      fail(hostname.line, `hostname must equal the section name ${name}`);
    const address = value("ipv6") ?? value("ipv4") ?? hostname;
    if (address === undefined) return fail(section.line, `node ${name} has no ipv6, ipv4 or hostname`);
    if (!HOST.test(address.value)) fail(address.line, "not a valid host address");
    const replica = value("replica");
    const datacenter = value("datacenter");
    return {
      name,
      host: address.value,
      isReplica: replica?.value === "enabled",
      datacenter: datacenter?.value,
      line: section.line,
    };
  });

  const seen = new Set<string>();
  for (const draft of drafts) {
    if (seen.has(draft.name)) fail(draft.line, `duplicate node ${draft.name}`);
    seen.add(draft.name);
  }
  if (mysqlMaster !== undefined && !seen.has(mysqlMaster.value)) {
    fail(mysqlMaster.line, `mysql-master names ${mysqlMaster.value}, which has no section`);
  }

  return drafts.map((draft) => {
    const role: NodeRole = draft.isReplica ? "replica" : "cluster";
    return {
      name: draft.name,
      host: draft.host,
      port: GHES_SSH_PORT,
      user: GHES_SSH_USER,
      role,
      ...(draft.datacenter === undefined ? {} : { datacenter: draft.datacenter }),
      path: options.path ?? DEFAULT_NODE_PATH,
      transport: "ssh" as const,
      sudo: true,
    };
  });
}
