import type { CommandContext } from "../context.js";
import type { ApplianceConnectPorts } from "../lifecycle/connect.js";
import type { TokenPorts } from "../lifecycle/token.js";
import { cloudAdminToken, cloudFactory, crashHook, openedAppliance } from "./appliance.js";

// Composition root (see appliance.ts): connect and token (the token cache hit loads nothing more than this).

/** token's production ports; nothing is loaded or opened until a token must be minted. */
export async function tokenPorts(context: CommandContext): Promise<TokenPorts> {
  return {
    stateDir: context.globals.stateDir,
    openAppliance: () => openedAppliance(context),
    cloud: cloudFactory(context),
    crash: await crashHook(context),
    now: context.io.now,
  };
}

/** connect's production ports: the state dir opened lazily (after the flags and the license checked out). */
export async function connectPorts(context: CommandContext): Promise<ApplianceConnectPorts> {
  return {
    openAppliance: () => openedAppliance(context),
    cloud: cloudFactory(context),
    hasAdminToken: cloudAdminToken(context) !== undefined,
    now: context.io.now,
    crash: await crashHook(context),
  };
}
