import { join } from "node:path";
import type { CommandContext } from "../context.js";
import type { TopologyFlags } from "../flows/inventory.js";
import type { DoctorPorts } from "../lifecycle/doctor.js";
import { cloudAdminToken, cloudClient, networkOptions } from "./appliance.js";
import { loadTopology } from "./topology.js";

// Composition root (see appliance.ts) for `doctor`: every port reads, none writes. The vault is opened without its
// lock, no journal is touched, the nodes are probed with acceptNewHostKeys off.

/** doctor's production ports. Bad topology flags or files fail here (exit 2), before anything is checked. */
export async function doctorPorts(
  context: CommandContext,
  options: { readonly cloudUrl: string | undefined; readonly topology: TopologyFlags | undefined },
): Promise<DoctorPorts> {
  const topology =
    options.topology === undefined
      ? undefined
      : await loadTopology(context, { ...options.topology, acceptNewHostKeys: false });
  const { stateDir, configPath } = context.globals;
  const vault = async () => {
    const { CredentialVault, STATE_FILES } = await import("@connect-ops/credential-vault");
    return new CredentialVault(join(stateDir, STATE_FILES.vault));
  };
  return {
    local: {
      nodeVersion: process.versions.node,
      stateDir,
      uid: process.getuid?.(),
      configPath: configPath ?? join(stateDir, "config.json"),
      readConfig: async () => {
        const { readConfigFile } = await import("../flows/config-file.js");
        return readConfigFile(configPath ?? join(stateDir, "config.json"), { optional: configPath === undefined });
      },
      parseIdentity: async (path) => {
        const { readIdentityFile } = await import("@connect-ops/credential-vault");
        return (await readIdentityFile(path)).length;
      },
      readMeta: async () => (await vault()).readVerifiedMeta(),
    },
    cloud: {
      cloudUrl: options.cloudUrl,
      now: context.io.now,
      fetch: async () => {
        const { loadNetworkFetch } = await import("@connect-ops/connection-core");
        return loadNetworkFetch(await networkOptions(context));
      },
      adminToken: () => cloudAdminToken(context),
      client: (baseUrl) => cloudClient(context, baseUrl),
      openApp: async () => {
        const { loadStateDir } = await import("@connect-ops/credential-vault");
        const state = await loadStateDir(stateDir, configPath);
        const { bundle } = await (await vault()).open(state.identities);
        return { appId: bundle.app.appId, privateKeyPem: bundle.app.privateKeyPem, slug: bundle.app.slug };
      },
    },
    ...(topology === undefined
      ? {}
      : {
          nodes: {
            local: new Set(topology.nodes.filter((node) => node.transport === "local").map((node) => node.name)),
            probe: async () => {
              const { probeNodes } = await import("@connect-ops/replication");
              return probeNodes(topology.nodes, { ssh: topology.ssh, logger: await context.logger() });
            },
          },
        }),
  };
}
