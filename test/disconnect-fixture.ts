import type { GitHubSim } from "@connect-ops/github-sim";
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "vitest";
import { writeLicense, type CliRun } from "./support/cli.js";

export type CliRunner = (argv: readonly string[], env?: Record<string, string | undefined>) => Promise<CliRun>;

export interface Secrets {
  readonly pem: string;
  readonly token: string;
}

export interface Appliance {
  readonly dir: string;
  readonly stateDir: string;
  readonly env: Record<string, string>;
  readonly inventory: string;
  readonly dataDir: string;
  readonly nodeDirs: Record<string, string>;
  readonly secrets: Secrets;
  readonly older: string;
  readonly current: string;
}

/** init → connect → replicate to local nodes; a data dir with two snapshots (the newer is `current`). */
export async function connectedAppliance(sim: GitHubSim, dir: string, nodeNames: readonly string[], connectOps: CliRunner): Promise<Appliance> {
  mkdirSync(dir, { recursive: true });
  const stateDir = join(dir, "state");
  const env = { CONNECT_OPS_STATE_DIR: stateDir, CONNECT_OPS_CLOUD_TOKEN: sim.createAdminToken() };
  const initialised = await connectOps(["init"], env);
  expect(initialised.code, initialised.stderr).toBe(0);
  const license = writeLicense(dir);
  const connected = await connectOps(["connect", "--cloud-url", sim.url, "--hostname", "ghes.example.com", "--ghes-version", "3.14.2", "--license", license, "--account", "enterprise:acme"], env);
  expect(connected.code, connected.stderr).toBe(0);
  const nodeDirs = Object.fromEntries(nodeNames.map((name) => [name, join(dir, "nodes", name)]));
  const inventory = join(dir, "inventory.json");
  writeFileSync(inventory, JSON.stringify({ nodes: nodeNames.map((name, index) => ({ name, role: index === 0 ? "replica" : "cluster", transport: "local", path: `nodes/${name}` })) }));
  const replicated = await connectOps(["replicate", "--inventory", inventory], env);
  expect(replicated.code, replicated.stderr).toBe(0);
  const plaintext = execFileSync("age", ["-d", "-i", join(stateDir, "age-identity.txt"), join(stateDir, "vault", "credentials.age")]);
  const bundle = JSON.parse(plaintext.toString()) as { app: { privateKeyPem: string }; token: { value: string } };
  const dataDir = join(dir, "backup-data");
  const older = join(dataDir, "20240101T000000");
  const current = join(dataDir, "20240102T000000");
  mkdirSync(older, { recursive: true });
  mkdirSync(current, { recursive: true });
  writeFileSync(join(older, "settings.json"), "{}\n");
  writeFileSync(join(current, "settings.json"), "{}\n");
  symlinkSync("20240102T000000", join(dataDir, "current"));
  return { dir, stateDir, env, inventory, dataDir, nodeDirs, secrets: { pem: bundle.app.privateKeyPem, token: bundle.token.value }, older, current };
}

/** A backup recipient kept off the appliance (real age-keygen), as `backup include` wants. */
export function backupRecipient(dir: string): string {
  const file = join(dir, "backup-identity.txt");
  execFileSync("age-keygen", ["-o", file], { stdio: "ignore" });
  const match = /# public key: (age1[0-9a-z]+)/.exec(readFileSync(file, "utf8"));
  if (match?.[1] === undefined) throw new Error("no recipient in the identity file");
  return match[1];
}

/** A PEM body line of the key (what a partial leak in a dump looks like). */
export function pemLine(pem: string): string {
  const line = pem.split("\n").find((candidate) => candidate.length >= 60 && !candidate.startsWith("-----"));
  if (line === undefined) throw new Error("no PEM body line");
  return line;
}

/** Writes `content` as a member of a real GNU tar, and as a gzip stream, in `snapshot`. */
export function plantInArchives(snapshot: string, content: string, tag: string): void {
  const staging = join(snapshot, `.staging-${tag}`);
  mkdirSync(staging, { recursive: true });
  writeFileSync(join(staging, `${tag}.txt`), `config line\n${content}\nmore\n`);
  execFileSync("tar", ["-cf", join(snapshot, `${tag}-secrets.tar`), "-C", staging, `${tag}.txt`]);
  writeFileSync(join(snapshot, `${tag}-dump.sql`), `INSERT INTO x VALUES ('${content}');\n`);
  execFileSync("gzip", ["-f", join(snapshot, `${tag}-dump.sql`)]);
  execFileSync("rm", ["-rf", staging]);
}
