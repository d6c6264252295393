import type { CloudApp } from "@connect-ops/connection-core";

/** The web host of a cloud API: api.github.com → github.com, api.SUB.ghe.com → SUB.ghe.com, HOST/api/v3 → HOST. */
export function webBaseOf(apiBaseUrl: string): string {
  const url = new URL(apiBaseUrl);
  if (url.pathname.replace(/\/+$/, "") === "/api/v3") return `${url.protocol}//${url.host}`;
  if (url.hostname.startsWith("api.")) return `${url.protocol}//${url.host.slice("api.".length)}`;
  // A simulator on loopback stands for both hosts.
  return `${url.protocol}//${url.host}`;
}

/**
 * Where a person deletes the App, and what to click (GitHub docs, "Deleting a GitHub App"): the App's settings,
 * Advanced, "Delete GitHub App", type the App's name, confirm.
 */
export function appDeletionStep(apiBaseUrl: string, app: CloudApp): { url: string; instructions: string } {
  const owner = encodeURIComponent(app.ownerLogin);
  const slug = encodeURIComponent(app.slug);
  const path =
    app.ownerType === "enterprise"
      ? `/enterprises/${owner}/settings/apps/${slug}/advanced`
      : app.ownerType === "organization"
        ? `/organizations/${owner}/settings/apps/${slug}/advanced`
        : `/settings/apps/${slug}/advanced`;
  return {
    url: `${webBaseOf(apiBaseUrl)}${path}`,
    instructions: `open the URL as an owner of ${app.ownerLogin}, click "Delete GitHub App" under "Danger zone", type the App's name (${app.name}) and click "I understand the consequences, delete this GitHub App"; then run the same disconnect command again`,
  };
}
