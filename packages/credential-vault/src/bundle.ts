import { installationTokenSchema } from "@connect-ops/connection-core";
import * as z from "zod";

/**
 * The JSON document sealed inside `vault/credentials.age` (docs/vault.md).
 * The App key is sealed the moment GitHub returns it (it is shown only once),
 * before the installation and its token exist, so those are optional.
 * `token.cacheKey` binds the cached token to cloud URL + app + installation:
 * a token minted against another cloud or app is never reused.
 */
export const credentialsBundleSchema = z.object({
  format: z.literal("connect-ops/credentials@1"),
  cloudUrl: z.string().min(1),
  app: z.object({
    appId: z.number().int().positive(),
    slug: z.string().min(1),
    clientId: z.string().min(1),
    privateKeyPem: z.string().includes("PRIVATE KEY-----"),
  }),
  /**
   * Keys being rotated out (`rotate-key`): still sealed so `rotate-key --finish` can prove the cloud refuses
   * each one (a JWT signed with it → 401) before it is dropped. Never used to mint.
   */
  retiringKeys: z
    .array(
      z.object({
        privateKeyPem: z.string().includes("PRIVATE KEY-----"),
        fingerprint: z.string().startsWith("SHA256:"),
      }),
    )
    .optional(),
  installationId: z.number().int().positive().optional(),
  token: z
    .object({
      value: installationTokenSchema,
      expiresAt: z.iso.datetime({ offset: true }),
      cacheKey: z.string(),
    })
    .optional(),
});
export type CredentialsBundle = z.infer<typeof credentialsBundleSchema>;

/** The key a cached token is valid for. */
export function tokenCacheKey(cloudUrl: string, appId: number, installationId: number): string {
  return `${cloudUrl.replace(/\/+$/, "")}|${appId}|${installationId}`;
}

/** The cached token when it belongs to this cloud/app/installation, else undefined. */
export function cachedTokenOf(bundle: CredentialsBundle): CredentialsBundle["token"] {
  if (bundle.token === undefined || bundle.installationId === undefined) return undefined;
  return bundle.token.cacheKey === tokenCacheKey(bundle.cloudUrl, bundle.app.appId, bundle.installationId)
    ? bundle.token
    : undefined;
}
