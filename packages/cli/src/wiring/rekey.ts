import { join } from "node:path";
import type { CommandContext } from "../context.js";
import { usageError } from "../errors.js";
import type { TopologyFlags } from "../flows/inventory.js";
import type { RekeyPorts } from "../lifecycle/rekey.js";
import { crashHook, openAppliance } from "./appliance.js";
import { loadTopology } from "./topology.js";

// Composition root (see appliance.ts): rekey. Every step reloads the state dir, so the next
// identity and the changed config are what the following step sees.

/** rekey's production ports: the state dir reloaded per step, its config, and (with topology flags) replicate. */
export async function rekeyPorts(
  context: CommandContext,
  topologyFlags: TopologyFlags | undefined,
  changesConfig: boolean,
): Promise<RekeyPorts> {
  if (changesConfig && context.globals.configPath !== undefined)
    throw usageError(
      "--add-recipient/--remove-recipient change the state dir's config.json, not --config",
      "run rekey without --config",
    );
  const topology = topologyFlags === undefined ? undefined : await loadTopology(context, topologyFlags);
  const vaultModule = await import("@connect-ops/credential-vault");
  const { atomicWriteFile, formatIdentityFile, generateAgeIdentity, readIdentityFile, recipientOf, STATE_FILES } =
    vaultModule;
  const stateDir = context.globals.stateDir;
  const logger = topology === undefined ? undefined : await context.logger();
  return {
    stateDir,
    journalDir: join(stateDir, STATE_FILES.journal),
    load: async () => {
      const appliance = await openAppliance(context);
      return { ...appliance.state, vault: appliance.vault };
    },
    writeRecoveryRecipients: async (recipients) => {
      const { state } = await openAppliance(context);
      const config = { ...state.config, recoveryRecipients: [...recipients] };
      await atomicWriteFile(join(stateDir, STATE_FILES.config), Buffer.from(`${JSON.stringify(config, null, 2)}\n`));
    },
    createIdentity: async (path) => {
      const { ignoreMissing } = await import("@connect-ops/connection-core");
      const { lstat } = await import("node:fs/promises");
      if ((await ignoreMissing(lstat(path))) !== undefined) {
        const [identity] = await readIdentityFile(path);
        return await recipientOf(identity ?? "");
      }
      const { identity, recipient } = await generateAgeIdentity();
      const text = Buffer.from(formatIdentityFile(identity, recipient, new Date(context.io.now())));
      try {
        await atomicWriteFile(path, text, { mode: 0o600 });
      } finally {
        text.fill(0);
      }
      return recipient;
    },
    ...(topology === undefined || logger === undefined
      ? {}
      : {
          replicate: async () => {
            const { replicateFromPrimary } = await import("../lifecycle/replicate.js");
            // No sealToEnrolled here: it would seal the old recipient back in (rekey seals to the enrolled nodes itself).
            return await replicateFromPrimary({ stateDir, topology, logger, now: context.io.now }, { dryRun: false });
          },
        }),
    now: context.io.now,
    crash: await crashHook(context),
  };
}
