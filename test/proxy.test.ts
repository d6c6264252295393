import { startGitHubSim, type GitHubSim } from "@connect-ops/github-sim";
import {
  connectArgv,
  initialisedAppliance,
  spawnCli,
  startTinyproxy,
  testdirSync,
  type CliRun,
} from "@connect-ops/test-support";
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { scannablePlaces } from "./support/canary.js";
import { expectNoLeak, runPlaces } from "./support/leaks.js";

// Issue 14 item 6 with the built CLI: connect and token through a real tinyproxy tunnelling to `github-sim --tls`.

const hasTinyproxy = (() => {
  try {
    execFileSync("sh", ["-c", "command -v tinyproxy"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();

const PASSWORD = "pr0xy-S3cret-pw-0123456";
const scratch = testdirSync({ prefix: "e2e-proxy-" });
// Config files that hold the proxy password on purpose (as an operator's would): outside the canary's scan.
const configs = testdirSync({ prefix: "e2e-proxy-config-" });
const runs: CliRun[] = [];
let sim: GitHubSim;
let caFile: string;

async function run(argv: readonly string[], env: Record<string, string>): Promise<CliRun> {
  // No proxy setting from the machine running the tests may leak in.
  const clean = { HTTPS_PROXY: "", https_proxy: "", HTTP_PROXY: "", http_proxy: "", NO_PROXY: "", no_proxy: "" };
  const result = await spawnCli(argv, { ...clean, ...env });
  runs.push(result);
  return result;
}

beforeAll(async () => {
  sim = await startGitHubSim({ tls: scratch.join("sim-tls") });
  caFile = scratch.join("sim-tls", "ca.pem");
});

afterAll(async () => {
  await sim.close();
  // The canary: the proxy password is in no output, argv or file of any run (argv held it only inside env).
  expectNoLeak({ ...runPlaces(runs), ...scannablePlaces(scratch.path) }, { "proxy password": PASSWORD });
  scratch[Symbol.dispose]();
  configs[Symbol.dispose]();
});

async function appliance(name: string) {
  return initialisedAppliance({ dir: scratch.join(name), cloud: sim, connectOps: spawnCli });
}

describe.skipIf(!hasTinyproxy)("the CLI through a proxy (tinyproxy → github-sim --tls)", () => {
  it("connect, then token --force and --verify, all tunnelled through an authenticating proxy with --ca-file", async () => {
    await using proxy = await startTinyproxy({ dir: scratch.path, auth: { user: "ops", password: PASSWORD } });
    const layout = await appliance("through");
    const env = { ...layout.env, HTTPS_PROXY: proxy.url };
    const connect = await run(["--ca-file", caFile, ...connectArgv(layout, sim.url)], env);
    expect(connect.code, connect.stderr).toBe(0);
    const afterConnect = proxy.connects().length;
    expect(afterConnect).toBeGreaterThan(0);
    expect(new Set(proxy.connects())).toEqual(new Set([`127.0.0.1:${sim.port}`]));
    const force = await run(["--ca-file", caFile, "token", "--force"], env);
    expect(force.code, force.stderr).toBe(0);
    expect(force.stdout).toContain("Minted a new installation token");
    const verify = await run(["--ca-file", caFile, "token", "--verify"], env);
    expect(verify.code, verify.stderr).toBe(0);
    expect(proxy.connects().length).toBeGreaterThan(afterConnect);
  });

  it("NODE_EXTRA_CA_CERTS instead of --ca-file, and NO_PROXY=127.0.0.0/8 bypasses the proxy (its log shows no CONNECT)", async () => {
    await using proxy = await startTinyproxy({ dir: scratch.path });
    const layout = await appliance("bypass");
    const env = { ...layout.env, HTTPS_PROXY: proxy.url, NO_PROXY: "127.0.0.0/8", NODE_EXTRA_CA_CERTS: caFile };
    const connect = await run(connectArgv(layout, sim.url), env);
    expect(connect.code, connect.stderr).toBe(0);
    expect(proxy.connects()).toEqual([]);
    // With --ca-file too, NODE_EXTRA_CA_CERTS is still honoured (here the same CA): the token is minted.
    const force = await run(["--ca-file", caFile, "token", "--force"], env);
    expect(force.code, force.stderr).toBe(0);
  });

  it("a proxy that denies the API host: exit 2, CLOUD_PROXY_REFUSED naming the host and what to allow", async () => {
    await using proxy = await startTinyproxy({ dir: scratch.path, allowHosts: ["localhost"] });
    const layout = await appliance("denied");
    const env = { ...layout.env, HTTPS_PROXY: proxy.url };
    const connect = await run(["--json", "--ca-file", caFile, ...connectArgv(layout, sim.url)], env);
    expect(connect.code).toBe(2);
    const error = (JSON.parse(connect.stdout) as { error: { code: string; message: string; hint: string } }).error;
    expect(error.code).toBe("CLOUD_PROXY_REFUSED");
    expect(error.message).toContain(`refused CONNECT to 127.0.0.1:${sim.port}`);
    expect(error.hint).toContain("github.com and api.github.com");
  });

  it("no CA for the TLS-intercepting side: exit 2, CLOUD_TLS_UNTRUSTED saying to pass --ca-file or NODE_EXTRA_CA_CERTS", async () => {
    await using proxy = await startTinyproxy({ dir: scratch.path, auth: { user: "ops", password: PASSWORD } });
    const layout = await appliance("untrusted");
    const connect = await run(connectArgv(layout, sim.url), { ...layout.env, HTTPS_PROXY: proxy.url });
    expect(connect.code).toBe(2);
    expect(connect.stderr).toContain("CLOUD_TLS_UNTRUSTED");
    expect(connect.stderr).toContain("--ca-file");
    expect(connect.stderr).toContain(`through the proxy http://***@127.0.0.1:${proxy.port}`);
  });

  it("a proxy nothing listens at: exit 3, CLOUD_PROXY_UNREACHABLE; a wrong password: exit 2; neither prints it", async () => {
    const layout = await appliance("unreachable");
    const down = await run(["--ca-file", caFile, ...connectArgv(layout, sim.url)], {
      ...layout.env,
      HTTPS_PROXY: `http://ops:${PASSWORD}@127.0.0.1:1`,
    });
    expect(down.code).toBe(3);
    expect(down.stderr).toContain("CLOUD_PROXY_UNREACHABLE");
    expect(down.stderr).toContain("http://***@127.0.0.1:1");
    await using proxy = await startTinyproxy({ dir: scratch.path, auth: { user: "ops", password: "another-one" } });
    const wrong = await run(["--ca-file", caFile, ...connectArgv(layout, sim.url)], {
      ...layout.env,
      HTTPS_PROXY: `http://ops:${PASSWORD}@127.0.0.1:${proxy.port}`,
    });
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain("refused the proxy credentials");
  });

  it("the config's proxy wins over HTTPS_PROXY (like curl -x), NO_PROXY still applies, its password is never printed", async () => {
    // Its config (which holds the password) lives beside the config files, outside the canary's scan.
    await using proxy = await startTinyproxy({ dir: configs.path, auth: { user: "ops", password: PASSWORD } });
    const layout = await appliance("config-proxy");
    const config = configs.join("config-proxy.json");
    writeFileSync(config, JSON.stringify({ proxy: proxy.url }));
    // HTTPS_PROXY names a port nothing listens at: only the config's proxy can carry the requests.
    const env = { ...layout.env, HTTPS_PROXY: "http://127.0.0.1:1" };
    const connect = await run(["--config", config, "--ca-file", caFile, ...connectArgv(layout, sim.url)], env);
    expect(connect.code, connect.stderr).toBe(0);
    const tunnelled = proxy.connects().length;
    expect(tunnelled).toBeGreaterThan(0);
    expect(new Set(proxy.connects())).toEqual(new Set([`127.0.0.1:${sim.port}`]));
    const force = await run(["--config", config, "--ca-file", caFile, "token", "--force"], env);
    expect(force.code, force.stderr).toBe(0);
    expect(proxy.connects().length).toBeGreaterThan(tunnelled);
    // NO_PROXY bypasses the config's proxy too: the token is minted directly, the proxy logs no new CONNECT.
    const before = proxy.connects().length;
    const bypass = await run(["--config", config, "--ca-file", caFile, "token", "--force"], {
      ...env,
      NO_PROXY: "127.0.0.0/8",
    });
    expect(bypass.code, bypass.stderr).toBe(0);
    expect(proxy.connects()).toHaveLength(before);
    // A config proxy nobody listens at: the error names it without its credentials.
    writeFileSync(config, JSON.stringify({ proxy: `http://ops:${PASSWORD}@127.0.0.1:1` }));
    const down = await run(["--json", "--config", config, "--ca-file", caFile, "token", "--force"], layout.env);
    expect(down.code).toBe(3);
    expect(down.stdout).toContain("CLOUD_PROXY_UNREACHABLE");
    expect(down.stdout).toContain("http://***@127.0.0.1:1");
  });

  it("a config proxy that is not an http(s) URL: CONFIG_INVALID exit 2 naming the key, never the value", async () => {
    const layout = await appliance("config-proxy-bad");
    const config = configs.join("config-proxy-bad.json");
    writeFileSync(config, JSON.stringify({ proxy: `socks5://ops:${PASSWORD}@127.0.0.1:1080` }));
    const token = await run(["--config", config, "token", "--force"], layout.env);
    expect(token.code).toBe(2);
    expect(token.stderr).toContain("CONFIG_INVALID");
    expect(token.stderr).toContain("proxy must be an http:// or https:// proxy URL");
  });

  it("--ca-file that is not a PEM certificate: exit 2 naming the flag", async () => {
    const layout = await appliance("bad-ca");
    const notPem = scratch.join("not-a-cert.txt");
    writeFileSync(notPem, "hello\n");
    const connect = await run(["--ca-file", notPem, ...connectArgv(layout, sim.url)], layout.env);
    expect(connect.code).toBe(2);
    expect(connect.stderr).toContain(`--ca-file ${notPem} holds no PEM certificate`);
    const missing = await run(
      ["--ca-file", join(scratch.path, "nope.pem"), ...connectArgv(layout, sim.url)],
      layout.env,
    );
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("--ca-file");
  });
});
