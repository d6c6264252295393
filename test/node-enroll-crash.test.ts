import { connectedAppliance, type Appliance } from "@connect-ops/test-support";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cliSuite } from "./support/cli-suite.js";

// Issue 15 (node enroll is multi-step): a SIGKILL at each of its checkpoints, then the same command again,
// ends with the replica enrolled and READY, and no identity left anywhere on the primary.

const suite = cliSuite({ prefix: "e2e-enroll-crash-", testHooks: true });
const { connectOps } = suite;

/** Every file under `dir` that holds an age identity (AGE-SECRET-KEY-…) other than the state dir's own. */
function identitiesUnder(dir: string, own: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name))
    .filter((path) => path !== own && readFileSync(path, "latin1").includes("AGE-SECRET-KEY-"));
}

let counter = 0;
const fresh = (): Promise<Appliance> =>
  connectedAppliance({ cloud: suite.sim, dir: join(suite.scratch, `a${counter++}`), connectOps, nodes: ["replica-1"] });

describe("node enroll after a SIGKILL at each step", () => {
  it.each(["enroll-identity-written", "enroll-recorded"])(
    "converges after a crash at %s: enrolled, sealed to the node, READY; no identity on the primary",
    async (point) => {
      const app = await fresh();
      const enroll = ["node", "enroll", "--inventory", app.inventory, "--node", "replica-1"];
      const killed = await connectOps(enroll, { ...app.env, CONNECT_OPS_FAULT_CRASH_AT: point });
      expect(killed.signal).toBe("SIGKILL");
      const resumed = await connectOps(enroll, app.env);
      expect(resumed.code, resumed.stderr).toBe(0);
      const replicate = await connectOps(["replicate", "--inventory", app.inventory], app.env);
      expect(replicate.code, replicate.stderr).toBe(0);
      const ready = await connectOps(["failover-check", "--inventory", app.inventory], app.env);
      expect(ready.code, ready.stdout + ready.stderr).toBe(0);
      expect(identitiesUnder(app.stateDir, join(app.stateDir, "age-identity.txt"))).toEqual([]);
      expect(identitiesUnder(app.nodeDirs["replica-1"] ?? "", "")).toHaveLength(1);
    },
  );
});
