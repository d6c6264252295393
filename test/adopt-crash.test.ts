import { startGitHubSim, type GitHubSim } from "@connect-ops/github-sim";
import { initialisedAppliance, snapshotCli, testdirSync } from "@connect-ops/test-support";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// Issue 14 item 5: adopt is multi-step (key sealed, then the first token). A SIGKILL between the two steps
// leaves the key sealed without a token; the same command again finishes the job, and only that key resumes.

let sim: GitHubSim;
let cli: Awaited<ReturnType<typeof snapshotCli>>;
const scratch = testdirSync({ prefix: "e2e-adopt-crash-" });
const connectOps = (argv: readonly string[], env: Record<string, string | undefined> = {}) => cli.run(argv, env);

beforeAll(async () => {
  cli = await snapshotCli({ testHooks: true });
  sim = await startGitHubSim({ profile: "github.com" });
});
afterAll(async () => {
  await sim.close();
  cli[Symbol.dispose]();
  scratch[Symbol.dispose]();
});

async function simPost(path: string, body: unknown): Promise<Record<string, unknown>> {
  const answer = await fetch(`${sim.url}/_sim${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  expect(answer.status).toBe(201);
  return (await answer.json()) as Record<string, unknown>;
}

describe("adopt after a SIGKILL between sealing the key and the first token", () => {
  it("resumes with the same key (exit 0, connected with a token), and refuses another key of the same App", async () => {
    const layout = await initialisedAppliance({ dir: join(scratch.path, "a"), cloud: sim, connectOps });
    const app = await simPost("/apps", { account: "organization:octo-org" });
    const pemFile = join(scratch.path, "app.pem");
    writeFileSync(pemFile, String(app.pem), { mode: 0o600 });
    const adopt = (pem: string) => [
      "adopt",
      "--cloud-url",
      sim.url,
      "--app-id",
      String(app.id),
      "--private-key",
      pem,
      "--installation-id",
      String(app.installationId),
    ];
    const killed = await connectOps(adopt(pemFile), { ...layout.env, CONNECT_OPS_FAULT_CRASH_AT: "adopt:key-sealed" });
    expect(killed.signal).toBe("SIGKILL");
    const other = await simPost(`/apps/${String(app.id)}/keys`, {});
    const otherFile = join(scratch.path, "other.pem");
    writeFileSync(otherFile, String(other.pem), { mode: 0o600 });
    const refused = await connectOps(adopt(otherFile), layout.env);
    expect(refused.stderr).toContain("already holds a connection");
    expect(refused.code).toBe(2);
    const resumed = await connectOps(adopt(pemFile), layout.env);
    expect(resumed.code, resumed.stderr).toBe(0);
    const status = await connectOps(["--json", "status", "--offline"], layout.env);
    expect(status.code, status.stderr).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ connected: true });
    // The key files are the operator's downloads, not residue of ours: gone before the leak canary looks.
    rmSync(pemFile);
    rmSync(otherFile);
  });
});
