import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { request } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { startGitHubSim } from "./start-github-sim.js";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "sim-tls-test-"));
  dirs.push(dir);
  return dir;
}

/** GET over HTTPS trusting only `ca` (or the system store): the status, or the TLS error's code. */
function get(url: string, ca?: string): Promise<number | string> {
  return new Promise((resolve) => {
    const req = request(url, { ca }, (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    req.on("error", (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    req.end();
  });
}

describe("startGitHubSim({ tls })", () => {
  it("serves HTTPS with a leaf for 127.0.0.1 and localhost, trusted only through the CA it writes to DIR/ca.pem", async () => {
    const dir = join(tempDir(), "made-by-sim");
    await using sim = await startGitHubSim({ tls: dir });
    expect(sim.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const ca = readFileSync(join(dir, "ca.pem"), "utf8");
    expect(ca).toMatch(/^-----BEGIN CERTIFICATE-----\n/);
    expect(sim.caPem).toBe(ca);
    expect(await get(`${sim.url}/apps/unknown`, ca)).toBe(404);
    expect(await get(`https://localhost:${sim.port}/apps/unknown`, ca)).toBe(404);
    // Not in the system store: a client that is not given the CA refuses the server.
    expect(await get(`${sim.url}/apps/unknown`)).toMatch(/SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE/);
  });

  it("makes a new CA on every start: one start's CA does not trust another's server", async () => {
    const dirA = tempDir();
    const dirB = tempDir();
    await using simA = await startGitHubSim({ tls: dirA });
    await using simB = await startGitHubSim({ tls: dirB });
    expect(simA.caPem).not.toBe(simB.caPem);
    expect(await get(`${simB.url}/apps/unknown`, simA.caPem)).toMatch(
      /SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE/,
    );
    expect(readFileSync(join(dirA, "ca.pem"), "utf8")).not.toMatch(/PRIVATE KEY/);
  });

  it("serves plain HTTP without the option (caPem undefined)", async () => {
    await using sim = await startGitHubSim();
    expect(sim.url).toMatch(/^http:\/\//);
    expect(sim.caPem).toBeUndefined();
  });
});

const bin = fileURLToPath(new URL("../bin/github-sim.js", import.meta.url));
const built = existsSync(fileURLToPath(new URL("../dist/bin.js", import.meta.url)));

describe("github-sim bin --tls", () => {
  it.skipIf(!built)(
    "prints https://127.0.0.1:PORT first and writes DIR/ca.pem; an empty DIR is a usage error",
    async () => {
      const dir = tempDir();
      const child = spawn(process.execPath, [bin, "--tls", dir], { stdio: ["ignore", "pipe", "pipe"] });
      const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
      const first = await new Promise<string>((resolve) =>
        createInterface({ input: child.stdout }).once("line", resolve),
      );
      expect(first).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      expect(await get(`${first}/apps/unknown`, readFileSync(join(dir, "ca.pem"), "utf8"))).toBe(404);
      child.kill("SIGTERM");
      expect(await exited).toBe(0);
      const bad = spawn(process.execPath, [bin, "--tls", ""], { stdio: "ignore" });
      expect(await new Promise<number | null>((resolve) => bad.once("exit", (code) => resolve(code)))).toBe(2);
    },
  );
});
