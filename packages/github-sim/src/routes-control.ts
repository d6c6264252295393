import { errorResponse, numberField, stringField, type SimRequest, type SimResponse } from "./http-io.js";
import type { GitHubSim } from "./start-github-sim.js";

/**
 * `/_sim/*`: the knobs and introspection over HTTP, for tests that run the sim
 * as a child process. Not part of GitHub's API; never faulted or logged.
 */
export function routeControl(sim: GitHubSim, request: SimRequest): SimResponse {
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
      default:
        break;
    }
    if (method === "POST" && segments[1] === "apps" && segments[3] === "revoke" && segments.length === 4) {
      return sim.revokeApp(Number(segments[2])) ? { status: 204 } : errorResponse(404, "Not Found");
    }
    return errorResponse(404, "Not Found");
  } catch (error) {
    return errorResponse(422, error instanceof Error ? error.message : "invalid knob");
  }
}

function optionalNumber<Key extends string>(key: Key, value: number | undefined): Partial<Record<Key, number>> {
  return value === undefined ? {} : ({ [key]: value } as Record<Key, number>);
}
