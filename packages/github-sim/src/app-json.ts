import type { SimAccount, SimApp, SimInstallation, SimRecord } from "./sim-state.js";

/** The permissions a Connect app is created with (the sim's fixed manifest). */
export const CONNECT_APP_PERMISSIONS: Readonly<Record<string, string>> = { metadata: "read", contents: "read" };

export function accountJson(account: SimAccount): Record<string, unknown> {
  return {
    login: account.login,
    id: account.id,
    node_id: Buffer.from(`${account.type}${account.id}`).toString("base64"),
    type: account.type === "organization" ? "Organization" : "Enterprise",
    site_admin: false,
  };
}

/** GitHub's "Integration" object (GET /app, GET /apps/{slug}). */
export function appJson(app: SimApp, installationsCount: number): Record<string, unknown> {
  return {
    id: app.id,
    slug: app.slug,
    node_id: app.nodeId,
    client_id: app.clientId,
    owner: accountJson(app.owner),
    name: app.name,
    description: "GitHub Connect between GitHub Enterprise Server and GitHub Enterprise Cloud",
    external_url: "https://ghes.invalid",
    html_url: `https://github.com/apps/${app.slug}`,
    created_at: app.createdAt,
    updated_at: app.createdAt,
    permissions: CONNECT_APP_PERMISSIONS,
    events: [],
    installations_count: installationsCount,
  };
}

export function installationJson(installation: SimInstallation, app: SimApp): Record<string, unknown> {
  return {
    id: installation.id,
    account: accountJson(installation.account),
    repository_selection: "all",
    access_tokens_url: `/app/installations/${installation.id}/access_tokens`,
    app_id: app.id,
    app_slug: app.slug,
    client_id: app.clientId,
    target_id: installation.account.id,
    target_type: installation.account.type === "organization" ? "Organization" : "Enterprise",
    permissions: CONNECT_APP_PERMISSIONS,
    events: [],
    created_at: installation.createdAt,
    updated_at: installation.createdAt,
    suspended_at: null,
  };
}

/** A connection record (invented endpoint; see docs/github-sim.md). */
export function recordJson(record: SimRecord, app: SimApp | undefined): Record<string, unknown> {
  return {
    id: record.id,
    hostname: record.hostname,
    ghes_version: record.ghesVersion,
    license_public_key: record.licensePublicKey,
    license_hash: record.licenseHash,
    customer_name: record.customerName,
    account: { type: record.account.type, login: record.account.login, id: record.account.id },
    app_id: app?.id ?? null,
    app_slug: app?.slug ?? null,
    created_at: record.createdAt,
  };
}
