import type { GitHubSim } from "@connect-ops/github-sim";
import { createHash } from "node:crypto";
import { execFileSync } from "node:child_process";
import { lstatSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { connectedAppliance, type Appliance } from "../disconnect-fixture.js";
import { registerSecret } from "../support/canary.js";
import { runCli } from "./harness.js";

export const NODE_NAMES = ["replica-1", "data-1", "data-2"] as const;

/** A copy of a prepared tree (`cp -a` keeps modes, links and hard links inside it). */
export function copyTree(from: string, to: string): void {
  execFileSync("cp", ["-a", from, to]);
}

/** The env and paths of an appliance tree at `dir` (the template's layout, relocated). */
export function applianceAt(dir: string, adminToken: string) {
  const stateDir = join(dir, "state");
  return {
    dir,
    stateDir,
    env: { CONNECT_OPS_STATE_DIR: stateDir, CONNECT_OPS_CLOUD_TOKEN: adminToken },
    inventory: join(dir, "inventory.json"),
    dataDir: join(dir, "backup-data"),
    nodeDirs: Object.fromEntries(NODE_NAMES.map((name) => [name, join(dir, "nodes", name)])),
    older: join(dir, "backup-data", "20240101T000000"),
    current: join(dir, "backup-data", "20240102T000000"),
  };
}

/** init → connect → replicate (disconnect-fixture), through the harness runner; registers the secrets with the canary. */
export async function connectedTemplate(bin: string, sim: GitHubSim, dir: string): Promise<Appliance> {
  const appliance = await connectedAppliance(sim, dir, NODE_NAMES, (argv, env) => runCli(bin, argv, env ?? {}));
  registerSecret("crash template private key", appliance.secrets.pem);
  registerSecret("crash template token", appliance.secrets.token);
  return appliance;
}

/** SHA-256 of every regular file under `root` by relative path; symlinks by target. */
export function fileDigests(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string, prefix: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      const rel = prefix === "" ? name : `${prefix}/${name}`;
      const stats = lstatSync(path);
      if (stats.isDirectory()) walk(path, rel);
      else if (stats.isFile()) out[rel] = createHash("sha256").update(readFileSync(path)).digest("hex");
      else out[rel] = "other";
    }
  };
  walk(root, "");
  return out;
}
