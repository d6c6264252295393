import type { CloudClient, CloudClientOptions } from "@connect-ops/connection-core";
import type { CredentialVault, StateDir } from "@connect-ops/credential-vault";
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import type { CommandContext } from "../context.js";
import { usageError } from "../errors.js";
import { noCrash, type CloudClientFactory, type CrashHook, type OpenedAppliance } from "../lifecycle/ports.js";

// The composition root (src/wiring/, one file per port family) is the one place that turns a
// command's context (env, clock, paths) into the production ports the lifecycles take. Commands
// call it once per run; lifecycles and flows never see a CommandContext (lint holds both).
// This file: the ports every family shares (the appliance's state, the cloud, the crash hook).

/** The primary's state: its identity, config and vault. */
export interface Appliance {
  readonly state: StateDir;
  readonly vault: CredentialVault;
  /** The appliance's own recipient first, then recovery recipients from config, then each enrolled node's: what every seal is to. */
  readonly recipients: readonly string[];
  readonly journalDir: string;
}

export async function openAppliance(context: CommandContext): Promise<Appliance> {
  const { CredentialVault, loadStateDir, recordSealedCopy, STATE_FILES } =
    await import("@connect-ops/credential-vault");
  const state = await loadStateDir(context.globals.stateDir, context.globals.configPath);
  const vaultDir = join(state.stateDir, STATE_FILES.vault);
  return {
    state,
    vault: new CredentialVault(vaultDir, {
      now: context.io.now,
      // Every generation is listed in the sealed-copy ledger (the nodes' copies are the same bytes).
      onSealed: (copy) =>
        recordSealedCopy(state.stateDir, {
          ...copy,
          recipients: [...copy.recipients],
          kind: "vault",
          where: vaultDir,
          at: new Date(context.io.now()).toISOString(),
        }),
    }),
    recipients: sealRecipients(state),
    journalDir: join(state.stateDir, STATE_FILES.journal),
  };
}

/** What every seal of this state dir is to: its own recipient, the recovery recipients, each enrolled node's. */
export function sealRecipients(
  state: Pick<StateDir, "recipient" | "config" | "enrolledNodes"> & Partial<Pick<StateDir, "pendingRecipients">>,
): string[] {
  return [
    ...new Set([
      state.recipient,
      // A rekey in progress: a commit made meanwhile (a token refresh) opens with the new identity too.
      ...(state.pendingRecipients ?? []),
      ...state.config.recoveryRecipients,
      ...state.enrolledNodes.map((node) => node.recipient),
    ]),
  ];
}

/** The cloud admin token (for connection records) comes from the environment, never from argv. */
export function cloudAdminToken(context: CommandContext): string | undefined {
  const { CONNECT_OPS_CLOUD_TOKEN: inline, CONNECT_OPS_CLOUD_TOKEN_FILE: file } = context.io.env;
  const given = inline !== undefined && inline.trim() !== "";
  if (file !== undefined && file !== "") {
    if (given)
      throw usageError(
        "both CONNECT_OPS_CLOUD_TOKEN and CONNECT_OPS_CLOUD_TOKEN_FILE are set",
        "set one of them (CONNECT_OPS_CLOUD_TOKEN_FILE for systemd's LoadCredential=)",
      );
    return readTokenFile(context.resolvePath(file));
  }
  return given ? inline.trim() : undefined;
}

/** The most a token file may hold: a token is ~100 bytes; anything this large is the wrong file. */
const TOKEN_FILE_CAP = 64 * 1024;

/**
 * The admin token from a file (systemd `LoadCredential=` hands one over as
 * `$CREDENTIALS_DIRECTORY/NAME`). Synchronous, because the token is asked for
 * where ports are built; bounded like every file argument. Errors name the
 * path, never the content.
 */
function readTokenFile(path: string): string | undefined {
  const refuse = (why: string): never => {
    throw usageError(
      `CONNECT_OPS_CLOUD_TOKEN_FILE ${path}: ${why}`,
      "point it at a regular file holding the token on one line (e.g. %d/cloud-token with LoadCredential=)",
    );
  };
  let stats;
  try {
    stats = statSync(path);
  } catch (error) {
    return refuse(`cannot read it (${(error as NodeJS.ErrnoException).code ?? "error"})`);
  }
  if (!stats.isFile()) return refuse("not a regular file");
  if (stats.size > TOKEN_FILE_CAP) return refuse(`larger than ${TOKEN_FILE_CAP} bytes`);
  const token = readFileSync(path, "utf8").trim();
  if (token === "") return refuse("it is empty");
  if (/\s/.test(token)) return refuse("it holds more than one word");
  return token;
}

export async function cloudClient(context: CommandContext, baseUrl: string): Promise<CloudClient> {
  const { createCloudClient } = await import("@connect-ops/connection-core");
  const adminToken = cloudAdminToken(context);
  return createCloudClient({
    baseUrl,
    ...(adminToken === undefined ? {} : { adminToken }),
    deps: { now: context.io.now },
    network: await networkOptions(context),
  });
}

/**
 * How cloud requests leave this machine: the environment's proxy settings, the config's `proxy` (it wins over
 * HTTPS_PROXY/HTTP_PROXY, as `curl -x` does; NO_PROXY still applies) and `--ca-file`. The config is read by hand
 * (cheap); a given `--config` that is missing or invalid has already stopped the run.
 */
export async function networkOptions(context: CommandContext): Promise<NonNullable<CloudClientOptions["network"]>> {
  const { readConfigFile } = await import("../flows/config-file.js");
  const { configPath, stateDir } = context.globals;
  const config = await readConfigFile(configPath ?? join(stateDir, "config.json"), {
    optional: configPath === undefined,
  });
  return {
    env: context.io.env,
    ...(config.proxy === undefined ? {} : { proxy: config.proxy }),
    extraCaPems: await extraCaPems(context),
  };
}

/**
 * `--ca-file`'s certificates. Giving a CA replaces Node's default store for the request, so
 * NODE_EXTRA_CA_CERTS (which Node only adds to that default) is read here too; without
 * `--ca-file`, Node applies NODE_EXTRA_CA_CERTS itself.
 */
async function extraCaPems(context: CommandContext): Promise<string[]> {
  const { caFile } = context.globals;
  if (caFile === undefined) return [];
  const { readInputText } = await import("@connect-ops/connection-core");
  const read = async (path: string, flag: string) => {
    const pem = await readInputText(path, { kind: "ca-certificates", flag });
    if (!pem.includes("-----BEGIN CERTIFICATE-----"))
      throw usageError(
        `${flag} ${path} holds no PEM certificate`,
        "give the CA certificate(s) in PEM (-----BEGIN CERTIFICATE-----): the proxy's CA, or github-sim's DIR/ca.pem",
      );
    return pem;
  };
  const pems = [await read(caFile, "--ca-file")];
  const fromEnv = context.io.env.NODE_EXTRA_CA_CERTS;
  if (fromEnv !== undefined && fromEnv !== "")
    pems.push(await read(context.resolvePath(fromEnv), "NODE_EXTRA_CA_CERTS"));
  return pems;
}

/** The production cloud port: a client per base URL, with the admin token from the environment. */
export function cloudFactory(context: CommandContext): CloudClientFactory {
  return (baseUrl) => cloudClient(context, baseUrl);
}

/**
 * Replaced at build time (packages/cli/rolldown.config.mjs): `false` in the production
 * bundle, `true` in the test bundle; undefined when run from source (vitest).
 */
declare const __CONNECT_OPS_TEST_HOOKS__: boolean | undefined;

/**
 * The crash port. Production: a no-op, and the env-driven hook (src/fault-crash.ts) is
 * compiled out of the bundle. The test bundle loads it, for the crash suites.
 */
export async function crashHook(context: CommandContext): Promise<CrashHook> {
  if (typeof __CONNECT_OPS_TEST_HOOKS__ === "undefined" || !__CONNECT_OPS_TEST_HOOKS__) return noCrash;
  const { envCrashHook } = await import("../fault-crash.js");
  return envCrashHook(context.io.env);
}

/** The appliance as the lifecycles that commit take it. */
export async function openedAppliance(context: CommandContext): Promise<OpenedAppliance> {
  const appliance = await openAppliance(context);
  return {
    stateDir: appliance.state.stateDir,
    vault: appliance.vault,
    identities: appliance.state.identities,
    recipients: appliance.recipients,
    journalDir: appliance.journalDir,
  };
}
