import { errorResponse, numberField, stringField, type SimRequest, type SimResponse } from "./http-io.js";
import type { GitHubSim } from "./start-github-sim.js";

/**
 * `/_sim/*`: the knobs and introspection over HTTP, for tests that run the sim
 * as a child process. Not part of GitHub's API; never faulted or logged.
 */
export async function routeControl(sim: GitHubSim, request: SimRequest): Promise<SimResponse> {
  const { method, segments, body } = request;
  const route = `${method} /${segments.slice(1).join("/")}`;
  try {
    switch (route) {
      case "GET /log":
        return { status: 200, body: { requests: sim.requests() } };
      case "GET /counters":
        return { status: 200, body: sim.counters() };
      case "POST /faults/fail":
        sim.failNext({
          count: numberField(body, "count") ?? 1,
          status: numberField(body, "status") ?? 503,
          ...optionalNumber("retryAfterSeconds", numberField(body, "retry_after")),
        });
        return { status: 204 };
      case "POST /faults/rate-limit":
        sim.rateLimitNext({
          count: numberField(body, "count") ?? 1,
          status: numberField(body, "status") === 429 ? 429 : 403,
          ...optionalNumber("resetInSeconds", numberField(body, "reset_in")),
          ...optionalNumber("retryAfterSeconds", numberField(body, "retry_after")),
        });
        return { status: 204 };
      case "POST /faults/latency":
        sim.setLatency(numberField(body, "ms") ?? 0);
        return { status: 204 };
      case "POST /faults/reset":
        sim.resetFaults();
        return { status: 204 };
      case "POST /clock/skew":
        sim.skewClock(numberField(body, "seconds") ?? 0);
        return { status: 204 };
      case "POST /admin-token":
        return { status: 201, body: { token: sim.createAdminToken() } };
      case "POST /manifest-codes": {
        const type = stringField(body, "type") === "enterprise" ? "enterprise" : "organization";
        return {
          status: 201,
          body: { code: sim.createManifestCode({ type, login: stringField(body, "login") ?? "octo-org" }) },
        };
      }
      case "GET /apps":
        return { status: 200, body: sim.listApps() };
      case "POST /apps":
        return await createApp(sim, body);
      default:
        break;
    }
    return (await routeAppControl(sim, method, segments)) ?? errorResponse(404, "Not Found");
  } catch (error) {
    return errorResponse(422, error instanceof Error ? error.message : "invalid knob");
  }
}

/** `POST /_sim/apps {"account":"organization:LOGIN"}`: a private App with one installation, as the settings page makes it. */
async function createApp(sim: GitHubSim, body: unknown): Promise<SimResponse> {
  const match = /^(organization|enterprise):([A-Za-z0-9][A-Za-z0-9-]{0,38})$/.exec(stringField(body, "account") ?? "");
  if (match === null) return errorResponse(422, 'account must be "organization:LOGIN" or "enterprise:SLUG"');
  const type = match[1] === "enterprise" ? "enterprise" : "organization";
  return { status: 201, body: await sim.createApp({ type, login: match[2] ?? "" }) };
}

/** The settings-page actions on one App: revoke (knob), generate and delete keys, delete the App. */
async function routeAppControl(
  sim: GitHubSim,
  method: string,
  segments: readonly string[],
): Promise<SimResponse | undefined> {
  if (segments[1] !== "apps") return undefined;
  const appId = Number(segments[2]);
  const notFound = errorResponse(404, "Not Found");
  if (method === "POST" && segments[3] === "revoke" && segments.length === 4) {
    return sim.revokeApp(appId) ? { status: 204 } : notFound;
  }
  if (method === "DELETE" && segments.length === 3) return sim.deleteApp(appId) ? { status: 204 } : notFound;
  if (segments[3] !== "keys") return undefined;
  if (method === "GET" && segments.length === 4) {
    const keys = sim.listAppKeys(appId);
    return keys === undefined ? notFound : { status: 200, body: keys };
  }
  if (method === "POST" && segments.length === 4) {
    const key = await sim.addAppKey(appId);
    return key === undefined ? notFound : { status: 201, body: key };
  }
  if (method === "DELETE" && segments.length === 5) {
    return sim.deleteAppKey(appId, Number(segments[4])) ? { status: 204 } : notFound;
  }
  return undefined;
}

function optionalNumber<Key extends string>(key: Key, value: number | undefined): Partial<Record<Key, number>> {
  return value === undefined ? {} : ({ [key]: value } as Record<Key, number>);
}
