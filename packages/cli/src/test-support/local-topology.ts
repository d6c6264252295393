import { CredentialVault, loadStateDir } from "@connect-ops/credential-vault";
import { startGitHubSim, type GitHubSim } from "@connect-ops/github-sim";
import { connectArgv, testdirSync, writeLicense, type TestDir } from "@connect-ops/test-support";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runCli, type CliRun } from "./run-cli.js";

export interface LocalNode {
  readonly name: string;
  readonly role: "replica" | "cluster";
}

/**
 * A connected appliance (in-process CLI against the GitHub simulator) and an
 * inventory of `local` nodes in a temp dir: replication without SSH.
 */
export class LocalTopology implements AsyncDisposable {
  readonly #scratch: TestDir;

  private constructor(
    scratch: TestDir,
    readonly sim: GitHubSim,
    readonly env: Record<string, string>,
  ) {
    this.#scratch = scratch;
  }

  get dir(): string {
    return this.#scratch.path;
  }

  static async create(nodes: readonly LocalNode[] = DEFAULT_NODES): Promise<LocalTopology> {
    const scratch = testdirSync({ prefix: "cli-replicate-" });
    const dir = scratch.path;
    const sim = await startGitHubSim();
    const topology = new LocalTopology(scratch, sim, {
      CONNECT_OPS_STATE_DIR: join(dir, "state"),
      CONNECT_OPS_CLOUD_TOKEN: sim.createAdminToken(),
    });
    const license = writeLicense(dir);
    await topology.cli(["init"]);
    const connected = await topology.cli(connectArgv({ license }, sim.url));
    if (connected.code !== 0) throw new Error(`connect failed: ${connected.stderr}`);
    mkdirSync(join(dir, "nodes"));
    topology.writeInventory({
      nodes: nodes.map((node) => ({ ...node, transport: "local", path: `nodes/${node.name}` })),
    });
    return topology;
  }

  /** `create`, then `replicate` to every node: a connected appliance whose nodes hold the current generation. */
  static async replicated(nodes: readonly LocalNode[] = DEFAULT_NODES): Promise<LocalTopology> {
    const topology = await LocalTopology.create(nodes);
    const replicated = await topology.cli(["replicate", "--inventory", topology.inventory]);
    if (replicated.code !== 0) throw new Error(`replicate failed: ${replicated.stderr}`);
    return topology;
  }

  /** The App's private key, opened from the primary's vault (what a leak would copy). */
  async appKeyPem(): Promise<string> {
    const state = await loadStateDir(this.stateDir);
    return (await new CredentialVault(join(this.stateDir, "vault")).open(state.identities)).bundle.app.privateKeyPem;
  }

  get stateDir(): string {
    return join(this.dir, "state");
  }
  get inventory(): string {
    return join(this.dir, "inventory.json");
  }
  nodeDir(name: string): string {
    return join(this.dir, "nodes", name);
  }

  writeInventory(document: unknown, path = this.inventory): string {
    writeFileSync(path, JSON.stringify(document, null, 2));
    return path;
  }

  /** The primary vault's two files, to compare byte for byte. */
  primaryFiles(): { sealed: Buffer; meta: Buffer } {
    return {
      sealed: readFileSync(join(this.stateDir, "vault", "credentials.age")),
      meta: readFileSync(join(this.stateDir, "vault", "meta.json")),
    };
  }
  nodeFiles(name: string): { sealed: Buffer; meta: Buffer } {
    return {
      sealed: readFileSync(join(this.nodeDir(name), "credentials.age")),
      meta: readFileSync(join(this.nodeDir(name), "meta.json")),
    };
  }

  cli(argv: readonly string[], overrides: Parameters<typeof runCli>[1] = {}): Promise<CliRun> {
    return runCli(argv, { env: this.env, cwd: this.dir, ...overrides });
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.sim.close();
    this.#scratch[Symbol.dispose]();
  }
}

const DEFAULT_NODES: readonly LocalNode[] = [
  { name: "replica-1", role: "replica" },
  { name: "cluster-1", role: "cluster" },
  { name: "cluster-2", role: "cluster" },
];
