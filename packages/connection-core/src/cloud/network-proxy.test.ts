import { startGitHubSim, type GitHubSim } from "@connect-ops/github-sim";
import { freeLoopbackPort, startTinyproxy, testdirSync, type TestDir } from "@connect-ops/test-support";
import { execFileSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CoreError } from "../errors.js";
import { createCloudClient } from "./create-cloud-client.js";
import type { NetworkOptions } from "./proxy-settings.js";

// A real tinyproxy (Debian) tunnelling to `github-sim --tls`: what a corporate proxy in front of github.com does.
const hasTinyproxy = (() => {
  try {
    execFileSync("sh", ["-c", "command -v tinyproxy"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();

const PASSWORD = "pr0xy-S3cret-pw";
let dir: TestDir;
let sim: GitHubSim;
let ca: string;

beforeAll(async () => {
  dir = testdirSync({ prefix: "proxy-test-" });
  sim = await startGitHubSim({ tls: dir.join("sim") });
  ca = sim.caPem ?? "";
});
afterAll(async () => {
  await sim.close();
  dir[Symbol.dispose]();
});

/** `checkToken` on a made-up token: one authenticated GET whose 401 answer ("refused") proves the round trip. */
async function roundTrip(network: NetworkOptions): Promise<string> {
  const client = createCloudClient({ baseUrl: sim.url, network, maxRetries: 0 });
  return client.checkToken("ghs_notARealToken0123456789");
}

async function failure(network: NetworkOptions): Promise<CoreError> {
  const error = await roundTrip(network).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(CoreError);
  return error as CoreError;
}

function everything(error: CoreError): string {
  return JSON.stringify({ message: error.message, hint: error.hint, context: error.context, stack: error.stack });
}

const hostPort = () => `127.0.0.1:${sim.port}`;

describe.skipIf(!hasTinyproxy)("cloud requests through a real proxy (tinyproxy → github-sim --tls)", () => {
  it("HTTPS_PROXY: the request is tunnelled (the proxy logs the CONNECT) and the sim's CA is trusted from extraCaPems", async () => {
    await using proxy = await startTinyproxy({ dir: dir.join(".") });
    expect(await roundTrip({ env: { HTTPS_PROXY: proxy.url }, extraCaPems: [ca] })).toBe("refused");
    expect(proxy.connects()).toEqual([hostPort()]);
    expect(await roundTrip({ env: { https_proxy: proxy.url }, extraCaPems: [ca] })).toBe("refused");
    expect(proxy.connects()).toHaveLength(2);
  });

  it.each([["127.0.0.1"], [`127.0.0.1:PORT`], ["127.0.0.0/8"], ["*"], [".0.0.1,localhost"]])(
    "NO_PROXY=%s bypasses the proxy: the request goes direct and the proxy logs nothing",
    async (entry) => {
      await using proxy = await startTinyproxy({ dir: dir.join(".") });
      const noProxy = entry.replace("PORT", String(sim.port));
      // `.0.0.1` is a name suffix, not an address: it matches nothing here, `localhost` neither; so that row goes through.
      const through = entry.startsWith(".0.0.1");
      expect(await roundTrip({ env: { HTTPS_PROXY: proxy.url, NO_PROXY: noProxy }, extraCaPems: [ca] })).toBe(
        "refused",
      );
      expect(proxy.connects()).toEqual(through ? [hostPort()] : []);
    },
  );

  it("a NO_PROXY port that is not the API's does not bypass", async () => {
    await using proxy = await startTinyproxy({ dir: dir.join(".") });
    const env = { HTTPS_PROXY: proxy.url, no_proxy: `127.0.0.1:${sim.port + 1}` };
    expect(await roundTrip({ env, extraCaPems: [ca] })).toBe("refused");
    expect(proxy.connects()).toEqual([hostPort()]);
  });

  it("a proxy that denies the API host: CLOUD_PROXY_REFUSED naming the host, hint to allow github.com and api.github.com", async () => {
    await using proxy = await startTinyproxy({ dir: dir.join("."), allowHosts: ["localhost"] });
    const error = await failure({ env: { HTTPS_PROXY: proxy.url }, extraCaPems: [ca] });
    expect(error.code).toBe("CLOUD_PROXY_REFUSED");
    expect(error.category).toBe("input");
    expect(error.message).toBe(`the proxy ${proxy.url} refused CONNECT to ${hostPort()} (HTTP 403)`);
    expect(error.hint).toContain("github.com and api.github.com");
    expect(proxy.log()).toContain('Proxying refused on filtered domain "127.0.0.1"');
  });

  it("a proxy without its CA (a TLS-intercepting one, or a private cloud CA): CLOUD_TLS_UNTRUSTED with --ca-file in the hint", async () => {
    await using proxy = await startTinyproxy({ dir: dir.join(".") });
    const error = await failure({ env: { HTTPS_PROXY: proxy.url } });
    expect(error.code).toBe("CLOUD_TLS_UNTRUSTED");
    expect(error.message).toContain(
      `the TLS certificate of ${hostPort()} through the proxy ${proxy.url} is not trusted`,
    );
    expect(error.hint).toMatch(/--ca-file FILE or NODE_EXTRA_CA_CERTS=FILE/);
    expect(proxy.connects()).toEqual([hostPort()]);
    // A CA that is not the server's is no better; direct, the same error.
    const other = await startGitHubSim({ tls: dir.join("other") });
    await other.close();
    expect((await failure({ env: {}, extraCaPems: [other.caPem ?? ""] })).code).toBe("CLOUD_TLS_UNTRUSTED");
  });

  it("nothing listening at the proxy: CLOUD_PROXY_UNREACHABLE (incomplete: exit 3, safe to re-run)", async () => {
    const port = await freeLoopbackPort();
    const error = await failure({ env: { HTTPS_PROXY: `http://127.0.0.1:${port}` }, extraCaPems: [ca] });
    expect(error.code).toBe("CLOUD_PROXY_UNREACHABLE");
    expect(error.category).toBe("incomplete");
    expect(error.message).toBe(
      `could not reach the proxy http://127.0.0.1:${port} to get to ${hostPort()} (ECONNREFUSED)`,
    );
  });

  it("proxy credentials in the URL authenticate, and no message shows the password (http://***@host:port)", async () => {
    await using proxy = await startTinyproxy({ dir: dir.join("."), auth: { user: "ops", password: PASSWORD } });
    expect(proxy.url).toContain(PASSWORD);
    expect(await roundTrip({ env: { HTTPS_PROXY: proxy.url }, extraCaPems: [ca] })).toBe("refused");
    expect(proxy.connects()).toEqual([hostPort()]);
    const wrong = proxy.url.replace(PASSWORD, `${PASSWORD}-wrong`);
    const refused = await failure({ env: { HTTPS_PROXY: wrong }, extraCaPems: [ca] });
    expect(refused.code).toBe("CLOUD_PROXY_REFUSED");
    expect(refused.message).toContain(`the proxy http://***@127.0.0.1:${proxy.port} refused CONNECT`);
    // tinyproxy answers 401 to wrong credentials (407 to none): both name the credentials.
    expect(refused.message).toMatch(/\(HTTP 40[17]\): it refused the proxy credentials/);
    const noProxy = await failure({ env: { HTTPS_PROXY: wrong.replace(String(proxy.port), "1") }, extraCaPems: [ca] });
    expect(noProxy.code).toBe("CLOUD_PROXY_UNREACHABLE");
    for (const error of [refused, noProxy]) {
      expect(everything(error)).not.toContain(PASSWORD);
      expect(everything(error)).not.toContain("ops:");
    }
  });

  it("the config's proxy wins over the environment's; a malformed proxy setting is CORE_INVALID_INPUT naming the variable, not its value", async () => {
    await using proxy = await startTinyproxy({ dir: dir.join(".") });
    const env = { HTTPS_PROXY: "http://127.0.0.1:1" };
    expect(await roundTrip({ env, proxy: proxy.url, extraCaPems: [ca] })).toBe("refused");
    expect(proxy.connects()).toEqual([hostPort()]);
    const bad = await failure({ env: { HTTPS_PROXY: `ftp://ops:${PASSWORD}@proxy:21` } });
    expect(bad.code).toBe("CORE_INVALID_INPUT");
    expect(bad.message).toBe("HTTPS_PROXY is not an http:// or https:// proxy URL");
    expect(everything(bad)).not.toContain(PASSWORD);
  });
});
