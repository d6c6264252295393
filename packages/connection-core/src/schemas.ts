import * as z from "zod";
import { hasValidBech32Checksum } from "./bech32.js";
import { parseProxy } from "./cloud/proxy-settings.js";

/** GitHub account the appliance is connected to on the cloud side. */
export const connectedAccountSchema = z.object({
  type: z.enum(["organization", "enterprise"]),
  login: z.string().min(1, "expected the account login or enterprise slug"),
  id: z.number().int().nonnegative(),
});
export type ConnectedAccount = z.infer<typeof connectedAccountSchema>;

const isoTimestamp = z.iso.datetime({ offset: true, message: "expected an ISO 8601 timestamp" });

/**
 * The connection record stored on the cloud side when Connect is enabled
 * (ARCHITECTURE.md "What GitHub Connect does"). Holds no secret.
 */
export const connectionRecordSchema = z.object({
  licensePublicKey: z.string().includes("BEGIN PUBLIC KEY", { message: "expected a PEM public key" }),
  licenseHash: z.string().regex(/^[0-9a-f]{64}$/, "expected the hex SHA-256 of the license file"),
  customerName: z.string().min(1, "expected the customer name on the license"),
  hostname: z
    .string()
    .min(1)
    .max(253)
    .regex(/^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$/, "expected a DNS hostname such as ghes.example.com"),
  ghesVersion: z.string().regex(/^\d+\.\d+(\.\d+)?([-.][0-9A-Za-z.]+)?$/, "expected a GHES version such as 3.14.2"),
  account: connectedAccountSchema,
});
export type ConnectionRecord = z.infer<typeof connectionRecordSchema>;

/** An installation token as GitHub issues it: classic 40-char `ghs_…` or the newer `ghs_<APPID>_<JWT>` form. */
export const installationTokenSchema = z
  .string()
  .regex(/^ghs_[A-Za-z0-9_.-]{36,2048}$/, "expected a GitHub App installation token (ghs_…)");

/**
 * The GitHub App credentials GHES keeps: the private key (PKCS#1 PEM as GitHub
 * issues it) and the current one-hour installation token. Secret: only ever
 * held in memory or sealed in the vault.
 */
export const appCredentialsSchema = z.object({
  appId: z.number().int().positive(),
  clientId: z.string().min(1),
  installationId: z.number().int().positive(),
  privateKeyPem: z.string().includes("PRIVATE KEY-----", { message: "expected a PEM private key" }),
  installationToken: installationTokenSchema,
  tokenExpiresAt: isoTimestamp,
});
export type AppCredentials = z.infer<typeof appCredentialsSchema>;

const ageRecipient = z
  .string()
  .regex(/^age1[02-9ac-hj-np-z]{58}$/, "expected an age X25519 recipient (age1…)")
  .refine((text) => hasValidBech32Checksum(text, "age"), {
    message: "the age recipient's checksum does not match: a character is mistyped; copy it again from `age-keygen -y`",
  });
export const ageRecipientSchema = ageRecipient;

/** What `proxy` may hold: what `parseProxy` accepts (curl: no scheme means http://); the value is never echoed. */
function isProxyUrl(value: string): boolean {
  try {
    parseProxy(value, "proxy");
    return true;
  } catch {
    return false;
  }
}

/** The optional config file (`--config`, default `<state-dir>/config.json`). */
export const configSchema = z
  .object({
    recoveryRecipients: z.array(ageRecipient).default([]),
    backupRecipients: z.array(ageRecipient).default([]),
    tokenMinTtlSeconds: z.number().int().min(0).max(3600).default(600),
    /** A proxy for every cloud request (wins over HTTPS_PROXY/HTTP_PROXY; NO_PROXY still applies). Never printed. */
    proxy: z.string().refine(isProxyUrl, "expected an http:// or https:// proxy URL").optional(),
  })
  .strict();
export type Config = z.infer<typeof configSchema>;

/**
 * Parses `organization:LOGIN` or `enterprise:SLUG` (the `--account` flag).
 * Returns undefined when the spec does not have that shape.
 */
export function parseAccountSpec(spec: string): { type: "organization" | "enterprise"; login: string } | undefined {
  const match = /^(organization|enterprise):([A-Za-z0-9](?:[A-Za-z0-9-]{0,38}))$/.exec(spec);
  if (!match) return undefined;
  return { type: match[1] as "organization" | "enterprise", login: match[2] as string };
}
