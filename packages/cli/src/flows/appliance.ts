import type { CloudClient } from "@connect-ops/connection-core";
import type { CredentialVault, StateDir } from "@connect-ops/credential-vault";
import { join } from "node:path";
import type { CommandContext } from "../context.js";
import { usageError } from "../errors.js";

/** The primary's state: its identity, config and vault. */
export interface Appliance {
  readonly state: StateDir;
  readonly vault: CredentialVault;
  /** The appliance's own recipient first, then recovery recipients from config. */
  readonly recipients: readonly string[];
  readonly journalDir: string;
}

export async function openAppliance(context: CommandContext): Promise<Appliance> {
  const { CredentialVault, loadStateDir, STATE_FILES } = await import("@connect-ops/credential-vault");
  const state = await loadStateDir(context.globals.stateDir, context.globals.configPath);
  return {
    state,
    vault: new CredentialVault(join(state.stateDir, STATE_FILES.vault), { now: context.io.now }),
    recipients: [...new Set([state.recipient, ...state.config.recoveryRecipients])],
    journalDir: join(state.stateDir, STATE_FILES.journal),
  };
}

/** The cloud admin token (for connection records) comes from the environment, never from argv. */
export function cloudAdminToken(context: CommandContext): string | undefined {
  const token = context.io.env.CONNECT_OPS_CLOUD_TOKEN;
  return token === undefined || token.trim() === "" ? undefined : token.trim();
}

export async function cloudClient(context: CommandContext, baseUrl: string): Promise<CloudClient> {
  const { createCloudClient } = await import("@connect-ops/connection-core");
  const adminToken = cloudAdminToken(context);
  return createCloudClient({ baseUrl, ...(adminToken === undefined ? {} : { adminToken }), deps: { now: context.io.now } });
}

/** Test-only fault injection: `CONNECT_OPS_FAULT_CRASH_AT=<checkpoint>` kills the process there (SIGKILL), like a power cut. */
export function crashHook(context: CommandContext): (point: string) => void {
  const target = context.io.env.CONNECT_OPS_FAULT_CRASH_AT;
  return (point) => {
    if (target !== undefined && target === point) process.kill(process.pid, "SIGKILL");
  };
}

export function requireConnected<T>(value: T | undefined, stateDir: string): T {
  if (value === undefined) {
    throw usageError(`no GitHub Connect credentials are sealed in ${stateDir}`, "run `connect-ops connect` first (or `connect-ops backup restore`)");
  }
  return value;
}
