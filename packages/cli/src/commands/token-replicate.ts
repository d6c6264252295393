// Loaded only for `token --replicate`: the plain token path (a cache hit) never reaches replication.
import type { CommandContext, CommandResult } from "../context.js";
import { EXIT } from "../exit-codes.js";
import { topologyFlags, type TopologyOptions } from "../flows/topology-options.js";
import { replicateFromPrimary } from "../lifecycle/replicate.js";
import { renderReplicate } from "../render/replicate.js";
import { replicatePorts } from "../wiring/nodes.js";

/** The node list is read and checked before the token is minted: bad flags or files exit 2 with nothing changed. */
export async function prepareTokenReplication(
  context: CommandContext,
  options: TopologyOptions,
): Promise<(token: CommandResult) => Promise<CommandResult>> {
  const ports = await replicatePorts(context, topologyFlags(options), {});
  return async (token) => {
    const replicated = renderReplicate(await replicateFromPrimary(ports, { dryRun: false }));
    return {
      // The token is sealed either way; a node that did not converge makes the run incomplete (exit 3), as `replicate`.
      exitCode: token.exitCode === EXIT.ok ? replicated.exitCode : token.exitCode,
      json: { ...(token.json as Record<string, unknown>), replicate: replicated.json },
      human: [...token.human, ...replicated.human],
    };
  };
}
