import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { parseJsonOutput, type JsonShape } from "./json-output.js";

/** What the suites read of a sealed credential bundle: the App's key and the installation token. */
export interface SealedBundle {
  readonly app: { readonly appId: number; readonly privateKeyPem: string };
  readonly token: { readonly value: string; readonly expiresAt: string };
}

const record = (value: unknown, what: string): Record<string, unknown> => {
  if (typeof value !== "object" || value === null) throw new Error(`${what} is not an object`);
  return value as Record<string, unknown>;
};

const bundleShape: JsonShape<SealedBundle> = {
  parse(value) {
    const app = record(record(value, "the bundle").app, "app");
    const token = record(record(value, "the bundle").token, "token");
    if (typeof app.appId !== "number" || typeof app.privateKeyPem !== "string")
      throw new Error("app has no appId or privateKeyPem");
    if (typeof token.value !== "string" || typeof token.expiresAt !== "string")
      throw new Error("token has no value or expiresAt");
    return {
      app: { appId: app.appId, privateKeyPem: app.privateKeyPem },
      token: { value: token.value, expiresAt: token.expiresAt },
    };
  },
};

/**
 * Opens a sealed file with the real `age` CLI and an identity file: the plaintext stays in
 * this process's memory (never on disk, never in argv).
 */
export function openWithAge(identityFile: string, sealedFile: string): Buffer {
  return execFileSync("age", ["-d", "-i", identityFile, sealedFile]);
}

/** The vault of `stateDir` (`vault/credentials.age`) opened with the state dir's own age identity. */
export function openSealedVault(stateDir: string): SealedBundle {
  const plaintext = openWithAge(join(stateDir, "age-identity.txt"), join(stateDir, "vault", "credentials.age"));
  return parseJsonOutput(bundleShape, plaintext.toString("utf8"));
}
