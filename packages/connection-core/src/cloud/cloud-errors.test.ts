import { request } from "@octokit/request";
import { describe, expect, it } from "vitest";
import { isClockSkewRefusal, toCloudError, type CloudOperation } from "./cloud-errors.js";

const token = `ghs_${"Q".repeat(36)}`;
const operation: CloudOperation = {
  action: "check the installation token",
  route: "GET /installation/repositories",
  baseUrl: "https://api.github.com",
};

/** A real @octokit/request failure: the request carries the token in its header and query, as a careless caller's would. */
async function failureFrom(fetch: typeof globalThis.fetch): Promise<unknown> {
  try {
    await request("GET /installation/repositories", {
      access_token: token,
      headers: { authorization: `token ${token}` },
      request: { fetch, log: { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} } },
    });
  } catch (error) {
    return error;
  }
  throw new Error("expected the request to fail");
}

const httpError = (status: number, message: string, headers: Record<string, string> = {}) =>
  failureFrom(() =>
    Promise.resolve(
      new Response(JSON.stringify({ message, documentation_url: "https://docs.github.com/rest" }), {
        status,
        headers: { "content-type": "application/json", ...headers },
      }),
    ),
  );

describe("toCloudError", () => {
  it("does not carry the request (headers, URL, body) of the failed call", async () => {
    const error = toCloudError(await httpError(401, "Bad credentials"), operation);
    expect(error.code).toBe("CLOUD_UNAUTHORIZED");
    expect(error.cause).toBeUndefined();
    expect(
      JSON.stringify({ ...Object.fromEntries(Object.entries(error)), message: error.message, hint: error.hint }),
    ).not.toContain(token);
  });

  it("redacts a token that the server echoed in its message", async () => {
    const error = toCloudError(await httpError(422, `token ${token} is malformed; also ${token}`), operation);
    expect(error.code).toBe("CLOUD_REJECTED");
    expect(error.message).not.toContain(token);
    expect(error.message).toContain("[REDACTED]");
  });

  it("redacts a network error message", async () => {
    const failure = await failureFrom(() =>
      Promise.reject(new TypeError("fetch failed", { cause: new Error(`connect failed for Bearer ${token}`) })),
    );
    const error = toCloudError(failure, operation);
    expect(error.code).toBe("CLOUD_UNREACHABLE");
    expect(error.message).not.toContain(token);
  });

  it("maps statuses to codes and categories", async () => {
    expect(toCloudError(await httpError(404, "Not Found"), operation)).toMatchObject({
      code: "CLOUD_NOT_FOUND",
      category: "input",
    });
    expect(toCloudError(await httpError(503, "Server Error"), operation)).toMatchObject({
      code: "CLOUD_UNREACHABLE",
      category: "incomplete",
    });
    expect(
      toCloudError(await httpError(403, "API rate limit exceeded", { "x-ratelimit-remaining": "0" }), operation),
    ).toMatchObject({
      code: "CLOUD_RATE_LIMITED",
      category: "incomplete",
    });
    expect(toCloudError(await httpError(403, "Resource not accessible by integration"), operation)).toMatchObject({
      code: "CLOUD_REJECTED",
    });
  });
});

describe("isClockSkewRefusal", () => {
  it("recognises GitHub's three skew messages and nothing else", async () => {
    expect(isClockSkewRefusal(await httpError(401, "'Expiration time' claim ('exp') is too far in the future"))).toBe(
      true,
    );
    expect(
      isClockSkewRefusal(
        await httpError(
          401,
          "'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued",
        ),
      ),
    ).toBe(true);
    expect(
      isClockSkewRefusal(
        await httpError(
          401,
          "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires",
        ),
      ),
    ).toBe(true);
    expect(isClockSkewRefusal(await httpError(401, "A JSON web token could not be decoded"))).toBe(false);
    expect(isClockSkewRefusal(await httpError(422, "'Issued at' claim ('iat')"))).toBe(false);
  });
});
