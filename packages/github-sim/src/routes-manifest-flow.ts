import { errorResponse, type SimRequest, type SimResponse } from "./http-io.js";
import type { SimContext } from "./sim-context.js";
import type { AccountType } from "./sim-state.js";

// The App-manifest flow's web step (GitHub docs, "Registering a GitHub App from a manifest"): a page POSTs a form
// with the field `manifest` (the App's settings as JSON) and `state` (in the action's query string, as GitHub's
// example has it, or as a form field) to `/organizations/ORG/settings/apps/new` or
// `/enterprises/SLUG/settings/apps/new`. On GitHub a person then names the App and clicks "Create GitHub App";
// GitHub redirects the browser to the manifest's `redirect_url` with `?code=…&state=…`, and the code converts
// (`POST /app-manifests/{code}/conversions`) within one hour. The simulator stands in for the person: it answers
// the form with that redirect at once. This is the web host's page, not the REST API: never faulted or rate-limited.

const LOGIN = /^[A-Za-z0-9][A-Za-z0-9-]{0,38}$/;

/** The form's manifest, as far as the simulator needs it: `redirect_url` (required here: it is how the sim answers). */
interface FormManifest {
  readonly redirectUrl: URL;
  readonly name: string | undefined;
}

function parseManifest(text: string | null): FormManifest | string {
  if (text === null || text.trim() === "") return "the form has no `manifest` field";
  let manifest: unknown;
  try {
    manifest = JSON.parse(text) as unknown;
  } catch {
    return "the `manifest` field is not JSON";
  }
  if (typeof manifest !== "object" || manifest === null || Array.isArray(manifest)) {
    return "the `manifest` field is not a JSON object";
  }
  const fields = manifest as Record<string, unknown>;
  // `url` (the App's homepage) is the one field GitHub requires.
  if (typeof fields["url"] !== "string" || fields["url"] === "") return "the manifest has no `url`";
  const redirect = fields["redirect_url"];
  if (typeof redirect !== "string") return "the manifest has no `redirect_url`";
  let redirectUrl: URL;
  try {
    redirectUrl = new URL(redirect);
  } catch {
    return "the manifest's `redirect_url` is not a URL";
  }
  if (redirectUrl.protocol !== "http:" && redirectUrl.protocol !== "https:") {
    return "the manifest's `redirect_url` is not http(s)";
  }
  const name = typeof fields["name"] === "string" && fields["name"].trim() !== "" ? fields["name"].trim() : undefined;
  return { redirectUrl, name };
}

/** Which account the form is for: `organizations/ORG` or `enterprises/SLUG`, then `settings/apps/new`. */
function accountOf(segments: readonly string[]): { type: AccountType; login: string } | undefined {
  if (segments.length !== 5 || segments[2] !== "settings" || segments[3] !== "apps" || segments[4] !== "new") {
    return undefined;
  }
  const type = segments[0] === "organizations" ? "organization" : segments[0] === "enterprises" ? "enterprise" : "";
  const login = segments[1] ?? "";
  if (type === "" || !LOGIN.test(login)) return undefined;
  return { type, login };
}

/** True when the request is for the manifest flow's page (both profiles serve it). */
export function isManifestFormRoute(request: SimRequest): boolean {
  return accountOf(request.segments) !== undefined;
}

/** `POST …/settings/apps/new`: a 302 to `redirect_url?code=…&state=…`, as after the person clicked Create. */
export function answerManifestForm(context: SimContext, request: SimRequest): SimResponse {
  const account = accountOf(request.segments);
  if (account === undefined) return errorResponse(404, "Not Found");
  if (request.method !== "POST") {
    return errorResponse(405, "POST the manifest form (fields `manifest` and `state`) to this page");
  }
  const form = new URLSearchParams(request.rawBody);
  const manifest = parseManifest(form.get("manifest"));
  if (typeof manifest === "string") return errorResponse(422, manifest);
  const state = request.query.get("state") ?? form.get("state");
  const code = context.state.createManifestCode(
    context.state.accountFor(account.type, account.login),
    undefined,
    context.nowMs(),
    manifest.name,
  );
  const location = new URL(manifest.redirectUrl);
  location.searchParams.set("code", code);
  if (state !== null) location.searchParams.set("state", state);
  return { status: 302, headers: { location: location.toString() } };
}
