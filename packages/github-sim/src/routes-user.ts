import { credentialOf, errorResponse, type SimRequest, type SimResponse } from "./http-io.js";
import type { SimContext } from "./sim-context.js";

/** The user the sim's admin tokens belong to (`GET /user`). */
export const SIM_ADMIN_LOGIN = "sim-admin";

/**
 * `GET /user` (public REST, both profiles): who a token belongs to. An admin token answers its user; an app's
 * installation token is 403 as on GitHub ("Resource not accessible by integration"); anything else 401. What
 * `connect-ops doctor` asks to prove the admin token is accepted.
 */
export function routeUser(context: SimContext, request: SimRequest): SimResponse | undefined {
  if (request.method !== "GET" || request.segments.length !== 1 || request.segments[0] !== "user") return undefined;
  const credential = credentialOf(request.headers);
  if (credential === undefined) return errorResponse(401, "Requires authentication");
  if (context.isAdminToken(credential.value)) {
    return { status: 200, body: { login: SIM_ADMIN_LOGIN, id: 1, type: "User", site_admin: false } };
  }
  if (credential.value.startsWith("ghs_")) return errorResponse(403, "Resource not accessible by integration");
  return errorResponse(401, "Bad credentials");
}
