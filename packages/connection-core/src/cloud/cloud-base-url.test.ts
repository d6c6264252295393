import { describe, expect, it } from "vitest";
import { normaliseBaseUrl } from "./cloud-base-url.js";
import { createCloudClient } from "./create-cloud-client.js";

describe("normaliseBaseUrl", () => {
  it("accepts github.com, GHE.com data residency, GHES and a loopback simulator", () => {
    expect(normaliseBaseUrl("https://api.github.com/")).toBe("https://api.github.com");
    expect(normaliseBaseUrl("https://api.octocorp.ghe.com")).toBe("https://api.octocorp.ghe.com");
    expect(normaliseBaseUrl("https://ghes.example.com/api/v3/")).toBe("https://ghes.example.com/api/v3");
    expect(normaliseBaseUrl("http://127.0.0.1:4010")).toBe("http://127.0.0.1:4010");
  });

  it("refuses plain http off loopback, credentials in the URL, and non-URLs", () => {
    expect(() => normaliseBaseUrl("http://ghes.example.com/api/v3")).toThrow(/must use https/);
    expect(() => normaliseBaseUrl("https://user:pw@api.github.com")).toThrow(/credentials/);
    expect(() => normaliseBaseUrl("api.github.com")).toThrow(/not a URL/);
  });
});

describe("createCloudClient base URL", () => {
  it("sends GHES requests under /api/v3", async () => {
    const seen: string[] = [];
    const client = createCloudClient({
      baseUrl: "https://ghes.example.com/api/v3",
      deps: {
        fetch: (input) => {
          seen.push(typeof input === "string" ? input : input instanceof URL ? input.href : input.url);
          return Promise.resolve(
            new Response(JSON.stringify({ message: "Not Found" }), {
              status: 404,
              headers: { "content-type": "application/json" },
            }),
          );
        },
      },
    });
    expect(await client.convertManifest("connect").catch((error: unknown) => error)).toMatchObject({
      code: "CLOUD_NOT_FOUND",
    });
    expect(seen).toEqual(["https://ghes.example.com/api/v3/app-manifests/connect/conversions"]);
  });
});
