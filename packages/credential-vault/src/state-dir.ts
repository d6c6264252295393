import {
  configSchema,
  ignoreMissing,
  isConnectOpsError,
  parseInput,
  parseJsonText,
  readInputText,
  type Config,
} from "@connect-ops/connection-core";
import { generateKeyPairSync } from "node:crypto";
import { stat } from "node:fs/promises";
import { join } from "node:path";
import { generateAgeIdentity, recipientOf } from "./age-seal.js";
import { atomicWriteFile } from "./atomic-write.js";
import { readEnrolledNodes, type EnrolledNode } from "./enrolled-nodes.js";
import { VaultError } from "./errors.js";
import { STATE_FILES } from "./layout.js";
import { ensureSafeDirectory } from "./safe-dir.js";

export interface InitResult {
  readonly stateDir: string;
  readonly identityFile: string;
  readonly recipient: string;
  readonly recoveryRecipients: readonly string[];
  readonly auditPublicKeyFile: string;
}

/** The age-keygen file format, so `age -d -i` and `age-keygen -y` accept it. */
export function formatIdentityFile(identity: string, recipient: string, now: Date): string {
  return `# created: ${now.toISOString().replace(/\.\d{3}Z$/, "Z")}\n# public key: ${recipient}\n${identity}\n`;
}

/**
 * Creates a state dir (0700) with the appliance's age identity, the Ed25519
 * key that signs audit reports, and a config holding recovery recipients.
 * Throws `VAULT_ALREADY_INITIALISED` (changing nothing) when an identity is
 * there already, `VAULT_STATE_DIR_UNSAFE` for an unsafe directory.
 */
export async function initStateDir(
  stateDir: string,
  options: { recoveryRecipients?: readonly string[]; now?: () => number } = {},
): Promise<InitResult> {
  const identityFile = join(stateDir, STATE_FILES.identity);
  await ensureSafeDirectory(stateDir, { create: true });
  if ((await ignoreMissing(stat(identityFile))) !== undefined) {
    throw new VaultError("VAULT_ALREADY_INITIALISED", `${stateDir} is already initialised`, {
      category: "input",
      hint: "nothing was changed; use this state dir as it is, or pass another --state-dir",
      context: { path: stateDir },
    });
  }
  const recoveryRecipients = [...new Set(options.recoveryRecipients ?? [])];
  const config = parseInput(configSchema, { recoveryRecipients }, "--recipient");
  const now = new Date((options.now ?? Date.now)());
  const { identity, recipient } = await generateAgeIdentity();
  const signing = generateKeyPairSync("ed25519");
  const auditPublicKeyFile = join(stateDir, STATE_FILES.auditSigningPublicKey);
  await atomicWriteFile(join(stateDir, STATE_FILES.config), Buffer.from(`${JSON.stringify(config, null, 2)}\n`));
  await atomicWriteFile(
    join(stateDir, STATE_FILES.auditSigningKey),
    Buffer.from(signing.privateKey.export({ type: "pkcs8", format: "pem" })),
  );
  await atomicWriteFile(auditPublicKeyFile, Buffer.from(signing.publicKey.export({ type: "spki", format: "pem" })), {
    mode: 0o644,
  });
  // The identity is written last: its presence is what marks the state dir initialised.
  await atomicWriteFile(identityFile, Buffer.from(formatIdentityFile(identity, recipient, now)));
  return { stateDir, identityFile, recipient, recoveryRecipients, auditPublicKeyFile };
}

/**
 * Reads an identity file in age-keygen format (comments and blank lines
 * ignored). Throws `VAULT_IDENTITY_INVALID` when it holds no X25519 identity.
 */
export async function readIdentityFile(path: string): Promise<string[]> {
  let text: string;
  try {
    text = await readInputText(path, { kind: "identity" });
  } catch (error) {
    if (isConnectOpsError(error) && error.code !== "INPUT_UNREADABLE") throw error;
    const errno = isConnectOpsError(error) ? error.context.errno : undefined;
    const code = typeof errno === "string" ? errno : undefined;
    throw new VaultError("VAULT_IDENTITY_INVALID", `cannot read identity file ${path} (${code ?? "error"})`, {
      category: "input",
      hint:
        code === "ENOENT"
          ? "run `connect-ops init` or pass the right --identity / --state-dir"
          : "check the file's permissions",
      context: { path },
    });
  }
  const identities = text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line.startsWith("AGE-SECRET-KEY-1"));
  if (identities.length === 0) {
    throw new VaultError("VAULT_IDENTITY_INVALID", `${path} holds no age identity (AGE-SECRET-KEY-1…)`, {
      category: "input",
      hint: "pass a file written by `age-keygen` or `connect-ops init`",
      context: { path },
    });
  }
  return identities;
}

export interface StateDir {
  readonly stateDir: string;
  readonly identities: readonly string[];
  readonly recipient: string;
  readonly config: Config;
  /** Nodes enrolled with their own identity (`node enroll`): every seal includes their recipients. */
  readonly enrolledNodes: readonly EnrolledNode[];
  /** While a `rekey --new-identity` runs: the new identity's recipient, which every seal includes until it is promoted. */
  readonly pendingRecipients: readonly string[];
}

/** The identities of a rekey's next/old identity file, when one is there (they open the vault too). */
async function rekeyIdentities(stateDir: string, name: string): Promise<string[]> {
  const path = join(stateDir, name);
  return (await ignoreMissing(stat(path))) === undefined ? [] : await readIdentityFile(path);
}

/** Opens an initialised state dir after checking it is safe; throws `VAULT_NOT_INITIALISED` otherwise. */
export async function loadStateDir(stateDir: string, configPath?: string): Promise<StateDir> {
  await ensureSafeDirectory(stateDir);
  const identityFile = join(stateDir, STATE_FILES.identity);
  if ((await ignoreMissing(stat(identityFile))) === undefined) {
    throw new VaultError("VAULT_NOT_INITIALISED", `${stateDir} is not initialised`, {
      category: "input",
      hint: "run `connect-ops init` first, or pass the right --state-dir",
      context: { path: stateDir },
    });
  }
  const own = await readIdentityFile(identityFile);
  const next = await rekeyIdentities(stateDir, STATE_FILES.nextIdentity);
  const identities = [...new Set([...own, ...next, ...(await rekeyIdentities(stateDir, STATE_FILES.oldIdentity))])];
  const file = configPath ?? join(stateDir, STATE_FILES.config);
  const text = await readInputText(file, {
    kind: "config",
    flag: configPath === undefined ? undefined : "--config",
  }).catch((error: unknown) => {
    if (isConnectOpsError(error) && error.code !== "INPUT_UNREADABLE") throw error;
    const errno = isConnectOpsError(error) ? error.context.errno : undefined;
    if (errno === "ENOENT" && configPath === undefined) return "{}";
    throw new VaultError(
      "VAULT_IDENTITY_INVALID",
      `cannot read config ${file} (${typeof errno === "string" ? errno : "error"})`,
      {
        category: "input",
        hint: "check --config",
        context: { path: file },
      },
    );
  });
  const config = parseInput(configSchema, parseJsonText(text, file), file);
  return {
    stateDir,
    identities,
    recipient: await recipientOf(own[0] as string),
    config,
    enrolledNodes: await readEnrolledNodes(stateDir),
    pendingRecipients: await Promise.all(next.map((identity) => recipientOf(identity))),
  };
}
