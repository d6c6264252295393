import { startGitHubSim, type GitHubSim } from "@connect-ops/github-sim";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CoreError } from "../errors.js";
import type { CloudClient } from "./cloud-types.js";
import { createCloudClient } from "./create-cloud-client.js";

const START = Date.parse("2026-05-01T12:00:00Z");
let clock = START;
let waits: number[] = [];
let sim: GitHubSim;
let client: CloudClient;

function clientFor(baseUrl: string, maxRetries?: number): CloudClient {
  return createCloudClient({
    baseUrl,
    adminToken: sim.createAdminToken(),
    ...(maxRetries === undefined ? {} : { maxRetries }),
    deps: {
      now: () => clock,
      random: () => 0.5,
      // The fake sleeper records each wait and moves both clocks forward: no real sleeping.
      sleep: (ms) => {
        waits.push(ms);
        clock += ms;
        return Promise.resolve();
      },
    },
  });
}

async function caught(promise: Promise<unknown>): Promise<CoreError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(CoreError);
    return error as CoreError;
  }
  throw new Error("expected a CoreError");
}

beforeEach(async () => {
  clock = START;
  waits = [];
  sim = await startGitHubSim({ now: () => clock });
  client = clientFor(sim.url);
});
afterEach(async () => {
  await sim.close();
});

const recordRequests = () => sim.requests().filter((entry) => entry.path.startsWith("/connect/records/"));

describe("cloud client retries", () => {
  it("retries 5xx with jittered exponential backoff, then succeeds", async () => {
    sim.failNext({ count: 3, status: 502 });
    expect(await client.getConnectionRecord(424242)).toBeUndefined();
    // random() = 0.5: three quarters of 500, 1000, 2000 ms.
    expect(waits).toEqual([375, 750, 1500]);
    expect(recordRequests().map((entry) => entry.status)).toEqual([502, 502, 502, 404]);
  });

  it("honours Retry-After on a 5xx", async () => {
    sim.failNext({ count: 1, status: 503, retryAfterSeconds: 7 });
    await client.getConnectionRecord(424242);
    expect(waits).toEqual([7000]);
  });

  it("gives up after maxRetries with CLOUD_UNREACHABLE (incomplete) naming the attempts", async () => {
    sim.failNext({ count: 10, status: 500 });
    const error = await caught(clientFor(sim.url, 2).getConnectionRecord(424242));
    expect(error.code).toBe("CLOUD_UNREACHABLE");
    expect(error.category).toBe("incomplete");
    expect(error.message).toMatch(/HTTP 500 after 3 attempt\(s\)/);
    expect(waits).toHaveLength(2);
  });

  it("never retries a 401", async () => {
    const bad = createCloudClient({
      baseUrl: sim.url,
      adminToken: "not-a-token",
      deps: {
        now: () => clock,
        sleep: (ms) => {
          waits.push(ms);
          return Promise.resolve();
        },
      },
    });
    const error = await caught(bad.getConnectionRecord(1));
    expect(error.code).toBe("CLOUD_UNAUTHORIZED");
    expect(sim.requests()).toHaveLength(1);
    expect(waits).toEqual([]);
  });

  it("never retries a 422 or a 404", async () => {
    const error = await caught(
      client.registerConnection({
        hostname: "ghes.example.com",
        ghesVersion: "3.17.2",
        licensePublicKey: "-----BEGIN PUBLIC KEY-----\nx\n-----END PUBLIC KEY-----\n",
        licenseHash: "not-a-hash",
        customerName: "Example Corp",
        account: { type: "organization", login: "octo-org" },
      }),
    );
    expect(error.code).toBe("CLOUD_REJECTED");
    expect(error.message).toMatch(/HTTP 422/);
    expect((await caught(client.convertManifest("unknown"))).code).toBe("CLOUD_NOT_FOUND");
    expect(sim.requests()).toHaveLength(2);
    expect(waits).toEqual([]);
  });

  it("waits out a primary rate limit until x-ratelimit-reset, then retries", async () => {
    sim.rateLimitNext({ count: 1, status: 403, resetInSeconds: 90 });
    expect(await client.getConnectionRecord(424242)).toBeUndefined();
    expect(waits).toEqual([90_000]);
  });

  it("prefers Retry-After on a 429 secondary rate limit", async () => {
    sim.rateLimitNext({ count: 2, status: 429, resetInSeconds: 600, retryAfterSeconds: 30 });
    await client.getConnectionRecord(424242);
    expect(waits).toEqual([30_000, 30_000]);
  });

  it("does not wait out a rate limit that resets too far ahead: CLOUD_RATE_LIMITED, safe to re-run", async () => {
    sim.rateLimitNext({ count: 1, status: 403, resetInSeconds: 3600 });
    const error = await caught(client.getConnectionRecord(424242));
    expect(error.code).toBe("CLOUD_RATE_LIMITED");
    expect(error.category).toBe("incomplete");
    expect(error.message).toContain("2026-05-01T13:00:00.000Z");
    expect(waits).toEqual([]);
  });

  it("retries network errors and then reports the cloud unreachable", async () => {
    const gone = sim.url;
    await sim.close();
    const error = await caught(clientFor(gone).getConnectionRecord(424242));
    expect(error.code).toBe("CLOUD_UNREACHABLE");
    expect(error.message).toContain(gone);
    expect(error.hint).toMatch(/safe to re-run/);
    expect(waits).toEqual([375, 750, 1500, 3000]);
  });
});
