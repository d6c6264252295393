import { optionalTopologyFlags, topologyFlags, type TopologyOptions } from "../flows/topology-options.js";
import type { CommandContext } from "../context.js";
import type { HealthPorts } from "../lifecycle/health.js";

/** The node flags `check` and `metrics` share. */
export type HealthTopologyOptions = TopologyOptions;

/**
 * The ports of the health lifecycle: status (through the cloud unless
 * offline) and, when the topology has replicas, failover readiness with the
 * same margin the failover-check default uses. Bad flags and files throw here.
 */
export async function healthPorts(
  context: CommandContext,
  options: HealthTopologyOptions,
  mode: { readonly offline: boolean; readonly failoverMinTtlMs?: number },
): Promise<HealthPorts> {
  const { failoverPorts, statusPorts } = await import("./nodes.js");
  const { readStatus } = await import("../lifecycle/status.js");
  const flags = optionalTopologyFlags(options);
  const status = await statusPorts(context, flags);
  const replicas = status.topology?.nodes.nodes.filter((node) => node.role === "replica") ?? [];
  let failover: HealthPorts["failover"];
  if (replicas.length > 0) {
    const { checkFailover } = await import("../lifecycle/failover-check.js");
    const ports = await failoverPorts(context, topologyFlags(options));
    failover = () => checkFailover(ports, { minTtlMs: mode.failoverMinTtlMs ?? 10 * 60_000, rehearse: false });
  }
  return {
    status: () => readStatus(status, { offline: mode.offline }),
    ...(failover === undefined ? {} : { failover }),
    now: context.io.now,
  };
}
