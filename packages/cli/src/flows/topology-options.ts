import type { TopologyFlags } from "./inventory.js";

/** The node flags as commander names them (each command registers the ones it takes). */
export interface TopologyOptions {
  readonly inventory?: string;
  readonly clusterConf?: string;
  readonly nodes?: string;
  readonly identityFile?: string;
  readonly knownHosts?: string;
  readonly acceptNewHostKeys?: boolean;
  readonly connectTimeout?: string;
}

/** The flags given, as the composition root's `TopologyFlags` (absent flags stay absent). Type-only imports: cheap at start-up. */
export function topologyFlags(options: TopologyOptions): TopologyFlags {
  return {
    ...(options.inventory === undefined ? {} : { inventory: options.inventory }),
    ...(options.clusterConf === undefined ? {} : { clusterConf: options.clusterConf }),
    ...(options.nodes === undefined ? {} : { nodes: options.nodes }),
    ...(options.identityFile === undefined ? {} : { identityFile: options.identityFile }),
    ...(options.knownHosts === undefined ? {} : { knownHostsFile: options.knownHosts }),
    ...(options.acceptNewHostKeys === true ? { acceptNewHostKeys: true } : {}),
    ...(options.connectTimeout === undefined ? {} : { connectTimeout: options.connectTimeout }),
  };
}

/**
 * The flags as `TopologyFlags` when the operator named nodes at all (`--inventory`, `--cluster-conf` or
 * `--nodes`), else undefined: for the commands whose nodes are optional (status, metrics, check, restore,
 * disconnect, verify-cleanup: without them, a standalone appliance).
 */
export function optionalTopologyFlags(options: TopologyOptions): TopologyFlags | undefined {
  const named = options.inventory !== undefined || options.clusterConf !== undefined || options.nodes !== undefined;
  return named ? topologyFlags(options) : undefined;
}
