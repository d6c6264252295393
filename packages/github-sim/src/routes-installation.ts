import { credentialOf, errorResponse, type SimRequest, type SimResponse } from "./http-io.js";
import type { SimContext } from "./sim-context.js";
import type { SimToken } from "./sim-state.js";
import { tokenDigest } from "./tokens.js";

/** The usable installation token of the request, or GitHub's 401 "Bad credentials". */
function authenticateToken(context: SimContext, request: SimRequest): SimToken | SimResponse {
  const credential = credentialOf(request.headers);
  if (credential === undefined) return errorResponse(401, "Requires authentication");
  const token = context.state.tokens.get(tokenDigest(credential.value));
  if (!context.state.isTokenUsable(token, context.nowMs())) return errorResponse(401, "Bad credentials");
  return token;
}

/** `GET /installation/repositories` and `DELETE /installation/token`, authenticated by an installation token. */
export function routeInstallation(context: SimContext, request: SimRequest): SimResponse | undefined {
  const { method, segments } = request;
  if (segments[0] !== "installation" || segments.length !== 2) return undefined;
  const isRepositories = segments[1] === "repositories" && method === "GET";
  const isRevoke = segments[1] === "token" && method === "DELETE";
  if (!isRepositories && !isRevoke) return undefined;
  const token = authenticateToken(context, request);
  if ("status" in token) return token;
  if (isRevoke) {
    token.revoked = true;
    context.counters.tokensRevoked += 1;
    return { status: 204 };
  }
  return { status: 200, body: { total_count: 0, repository_selection: "all", repositories: [] } };
}
