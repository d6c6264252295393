import { request as octokitRequest } from "@octokit/request";
import type * as z from "zod";
import { CoreError } from "../errors.js";
import { createAppJwt, readAppPrivateKey } from "./app-jwt.js";
import { isClockSkewRefusal, toCloudError, type CloudOperation } from "./cloud-errors.js";
import type { AppAuth } from "./cloud-types.js";
import { DEFAULT_CLOUD_RETRIES, type CloudRetrySettings } from "./retry-policy.js";
import { createRetryingFetch } from "./retrying-fetch.js";
import { ServerClock } from "./server-clock.js";

export type OctokitRequest = typeof octokitRequest;

const silentLog = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

/** The plumbing every cloud method shares: one retrying request, the server clock, JWTs and error mapping. */
export interface CloudTransport {
  readonly baseUrl: string;
  readonly request: OctokitRequest;
  readonly clock: ServerClock;
  /** Signs an app JWT on the server's time (the `createJwt` of @octokit/auth-app). */
  createJwt(app: AppAuth): { jwt: string; expiresAt: string };
  /** Runs `call`, mapping failures with `toCloudError`. */
  run<T>(operation: CloudOperation, call: () => Promise<T>): Promise<T>;
  /** Runs `call` (which signs app JWTs); after a clock-skew 401 runs it once more, on the corrected clock. */
  runWithSkewRetry<T>(operation: CloudOperation, call: () => Promise<T>): Promise<T>;
  /** `runWithSkewRetry` with a fresh app JWT handed to `call`. */
  runAsApp<T>(app: AppAuth, operation: CloudOperation, call: (jwt: string) => Promise<T>): Promise<T>;
  /** Validates a response body; a surprise is `CLOUD_REJECTED` naming the field, never its value. */
  parse<Schema extends z.ZodType>(schema: Schema, data: unknown, operation: CloudOperation): z.infer<Schema>;
}

export function createCloudTransport(options: {
  baseUrl: string;
  fetch: typeof globalThis.fetch;
  now: () => number;
  sleep: (ms: number) => Promise<void>;
  random: () => number;
  maxRetries: number | undefined;
}): CloudTransport {
  const clock = new ServerClock(options.now);
  const policy: CloudRetrySettings = {
    ...DEFAULT_CLOUD_RETRIES,
    ...(options.maxRetries === undefined ? {} : { attempts: options.maxRetries + 1 }),
  };
  const fetch = createRetryingFetch({
    fetch: options.fetch,
    sleep: options.sleep,
    random: options.random,
    clock,
    policy,
  });
  const request = octokitRequest.defaults({
    baseUrl: options.baseUrl,
    headers: { "user-agent": "connect-ops", "x-github-api-version": "2022-11-28" },
    request: { fetch, log: silentLog },
  });
  const keys = new Map<string, ReturnType<typeof readAppPrivateKey>>();

  const transport: CloudTransport = {
    baseUrl: options.baseUrl,
    request,
    clock,
    createJwt(app) {
      let key = keys.get(app.privateKeyPem);
      if (key === undefined) {
        key = readAppPrivateKey(app.privateKeyPem);
        keys.clear(); // keep at most one parsed key in memory
        keys.set(app.privateKeyPem, key);
      }
      return createAppJwt(app.appId, key, clock.serverNowMs());
    },
    async run(operation, call) {
      try {
        return await call();
      } catch (error) {
        throw toCloudError(error, operation);
      }
    },
    async runWithSkewRetry(operation, call) {
      return transport.run(operation, async () => {
        try {
          return await call();
        } catch (error) {
          // The refused response's `Date` already corrected the clock: one retry on server time.
          if (!isClockSkewRefusal(error)) throw error;
          return call();
        }
      });
    },
    async runAsApp(app, operation, call) {
      return transport.runWithSkewRetry(operation, () => call(transport.createJwt(app).jwt));
    },
    parse(schema, data, operation) {
      const result = schema.safeParse(data);
      if (result.success) return result.data;
      const fields = result.error.issues.map((issue) => issue.path.join(".") || "(body)").join(", ");
      throw new CoreError(
        "CLOUD_REJECTED",
        `the cloud API at ${options.baseUrl} answered ${operation.route} with an unexpected body (${fields})`,
        {
          category: "internal",
          hint: "check that the cloud URL points at a GitHub API (GHES: https://HOST/api/v3), then report this if it persists",
          context: { baseUrl: options.baseUrl, route: operation.route },
        },
      );
    },
  };
  return transport;
}
