import { execFileSync } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { CliEnv, CliRun } from "./cli-runner.js";
import { writeTree } from "./testdir.js";
import { openSealedVault } from "./sealed-vault.js";

// The appliance trees of the crash harness (test/crash), the disconnect suite
// and the filesystem-hostility and load suites: one layout, built through the
// real CLI, copied per iteration with `cp -a`.

/** The local nodes of an appliance unless a suite names its own: the first is the replica, the rest cluster nodes. */
export const APPLIANCE_NODES = ["replica-1", "data-1", "data-2"] as const;
export const OLDER_SNAPSHOT = "20240101T000000";
export const CURRENT_SNAPSHOT = "20240102T000000";

/**
 * The checkpoints of disconnect's journal, in order, where
 * CONNECT_OPS_FAULT_CRASH_AT can kill it (packages/cli's disconnect flow).
 */
export const DISCONNECT_CRASH_POINTS = [
  "disconnect:intent-recorded",
  "disconnect:token-revoked",
  "disconnect:installation-deleted",
  "disconnect:record-deleted",
  "disconnect:app-deleted",
  "disconnect:revocation-proved",
  "disconnect:vault-destroyed",
  "disconnect:nodes-deleted",
  "disconnect:snapshots-reviewed",
  "disconnect:completed",
] as const;

/** The cloud side an appliance connects to (the GitHub simulator). */
export interface CloudEndpoint {
  readonly url: string;
  createAdminToken(): string;
}

export type CliRunner = (argv: readonly string[], env?: CliEnv) => Promise<CliRun>;

/** The paths and env of an appliance tree at `dir`. */
export interface ApplianceLayout {
  readonly dir: string;
  readonly stateDir: string;
  readonly env: Record<string, string>;
  readonly license: string;
  readonly inventory: string;
  readonly dataDir: string;
  readonly nodeDirs: Record<string, string>;
  readonly older: string;
  readonly current: string;
}

/** What the vault held after connect, for leak checks and planted residue. */
export interface ApplianceSecrets {
  readonly pem: string;
  readonly token: string;
}

export interface Appliance extends ApplianceLayout {
  readonly secrets: ApplianceSecrets;
}

/** The layout of an appliance tree at `dir` (a built one, or a copy of one moved there), with `cloudToken` in its env. */
export function applianceAt(
  dir: string,
  cloudToken: string,
  nodeNames: readonly string[] = APPLIANCE_NODES,
): ApplianceLayout {
  const stateDir = join(dir, "state");
  const dataDir = join(dir, "backup-data");
  return {
    dir,
    stateDir,
    env: { CONNECT_OPS_STATE_DIR: stateDir, CONNECT_OPS_CLOUD_TOKEN: cloudToken },
    license: join(dir, "license.json"),
    inventory: join(dir, "inventory.json"),
    dataDir,
    nodeDirs: Object.fromEntries(nodeNames.map((name) => [name, join(dir, "nodes", name)])),
    older: join(dataDir, OLDER_SNAPSHOT),
    current: join(dataDir, CURRENT_SNAPSHOT),
  };
}

/** A license file like GHES's: JSON with customer_name and a PEM public key. Returns its path. */
export function writeLicense(dir: string, customerName = "Acme Corp"): string {
  const { publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const path = join(dir, "license.json");
  writeFileSync(
    path,
    JSON.stringify({ customer_name: customerName, public_key: publicKey.export({ type: "spki", format: "pem" }) }),
  );
  return path;
}

/** The argv of the `connect` every appliance makes. */
export function connectArgv(
  layout: Pick<ApplianceLayout, "license">,
  cloudUrl: string,
  hostname = "ghes.example.com",
): string[] {
  return [
    "connect",
    "--cloud-url",
    cloudUrl,
    "--hostname",
    hostname,
    "--ghes-version",
    "3.14.2",
    "--license",
    layout.license,
    "--account",
    "enterprise:acme",
  ];
}

/** A copy of a built tree (`cp -a` keeps modes, links and hard links inside it). */
export function copyTree(from: string, to: string): void {
  execFileSync("cp", ["-a", from, to]);
}

async function expectSuccess(
  connectOps: CliRunner,
  argv: readonly string[],
  env: Record<string, string>,
): Promise<void> {
  const run = await connectOps(argv, env);
  if (run.code !== 0)
    throw new Error(`appliance fixture: connect-ops ${argv[0]} exited ${run.code ?? run.signal}: ${run.stderr}`);
}

export interface BuildApplianceOptions {
  readonly dir: string;
  readonly cloud: CloudEndpoint;
  /** Runs the CLI (a `snapshotCli().run`, or `spawnCli` with a bin). */
  readonly connectOps: CliRunner;
  readonly nodes?: readonly string[];
  /** The snapshots of the data dir, oldest first (default both); `current` links to the last. */
  readonly snapshots?: readonly string[];
}

/**
 * An initialised appliance that has not connected: a license, an inventory
 * of local nodes under `nodes/`, a data dir of snapshots, then `init`.
 * Throws naming the command when the CLI fails.
 */
export async function initialisedAppliance(options: BuildApplianceOptions): Promise<ApplianceLayout> {
  const layout = applianceAt(options.dir, options.cloud.createAdminToken(), options.nodes);
  const names = Object.keys(layout.nodeDirs);
  const snapshots = options.snapshots ?? [OLDER_SNAPSHOT, CURRENT_SNAPSHOT];
  mkdirSync(join(layout.dir, "nodes"), { recursive: true });
  writeLicense(layout.dir);
  writeTree(layout.dir, {
    "inventory.json": JSON.stringify({
      nodes: names.map((name, index) => ({
        name,
        role: index === 0 ? "replica" : "cluster",
        transport: "local",
        path: `nodes/${name}`,
      })),
    }),
    ...Object.fromEntries(snapshots.map((snapshot) => [`backup-data/${snapshot}/settings.json`, "{}\n"])),
  });
  const last = snapshots.at(-1);
  if (last !== undefined) symlinkSync(last, join(layout.dataDir, "current"));
  await expectSuccess(options.connectOps, ["init"], layout.env);
  return layout;
}

/**
 * init → connect → replicate to the local nodes; the data dir holds two
 * snapshots (the newer is `current`) unless `snapshots` says otherwise. The
 * secrets are read back from the vault with the real `age`.
 */
export async function connectedAppliance(options: BuildApplianceOptions): Promise<Appliance> {
  const layout = await initialisedAppliance(options);
  await expectSuccess(options.connectOps, connectArgv(layout, options.cloud.url), layout.env);
  await expectSuccess(options.connectOps, ["replicate", "--inventory", layout.inventory], layout.env);
  const bundle = openSealedVault(layout.stateDir);
  return { ...layout, secrets: { pem: bundle.app.privateKeyPem, token: bundle.token.value } };
}
