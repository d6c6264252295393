import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { systemClock } from "@connect-ops/connection-core";
import { GenericContainer, Wait, type StartedTestContainer } from "testcontainers";
import type { NodeRole, NodeSpec } from "../inventory.js";
import { NODE_IMAGE_TAG } from "../node-image.js";

const run = promisify(execFile);

/** A free TCP port on 127.0.0.1, so a node keeps its port across restart and recreate. */
export async function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address !== null ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

/** The test-node image with its SSH port published on 127.0.0.1 only (testcontainers binds all interfaces). */
class LoopbackNodeContainer extends GenericContainer {
  constructor(hostPort: number) {
    super(NODE_IMAGE_TAG);
    this.withExposedPorts({ container: 122, host: hostPort });
    this.hostConfig.PortBindings = { "122/tcp": [{ HostIp: "127.0.0.1", HostPort: String(hostPort) }] };
    this.withWaitStrategy(Wait.forLogMessage(/Server listening on 0\.0\.0\.0 port 122/)).withStartupTimeout(120_000);
  }
}

export interface StartNodeOptions {
  /** Mount a tmpfs at the target (e.g. "size=64k") to fill the disk. */
  readonly tmpfsAtTarget?: string;
}

export const TARGET_PATH = "/data/user/common/github-connect";

/** One node container; `recreate` gives it new host keys on the same port. */
export class NodeContainer implements AsyncDisposable {
  #container: StartedTestContainer;

  private constructor(
    readonly name: string,
    readonly role: NodeRole,
    readonly port: number,
    container: StartedTestContainer,
    private readonly authorizedKey: string,
    private readonly options: StartNodeOptions,
  ) {
    this.#container = container;
  }

  static async start(name: string, role: NodeRole, authorizedKey: string, options: StartNodeOptions = {}, port?: number): Promise<NodeContainer> {
    const hostPort = port ?? (await freeLoopbackPort());
    const builder = new LoopbackNodeContainer(hostPort).withEnvironment({ AUTHORIZED_KEY: authorizedKey });
    if (options.tmpfsAtTarget !== undefined) {
      // uid 1000 is `admin` in the image.
      builder.withTmpFs({ [TARGET_PATH]: `${options.tmpfsAtTarget},mode=0700,uid=1000,gid=1000` });
    }
    return new NodeContainer(name, role, hostPort, await builder.start(), authorizedKey, options);
  }

  get id(): string {
    return this.#container.getId();
  }

  spec(path = TARGET_PATH): NodeSpec {
    return { name: this.name, host: "127.0.0.1", port: this.port, user: "admin", role: this.role, path, transport: "ssh" };
  }

  /** Runs a command in the node as `admin` (the owner of the target). */
  async exec(script: string, user = "admin"): Promise<string> {
    const result = await this.#container.exec(["sh", "-c", script], { user });
    if (result.exitCode !== 0) throw new Error(`exec failed (${result.exitCode}): ${result.output}`);
    return result.output;
  }

  async docker(...args: string[]): Promise<void> {
    await run("docker", [...args, this.id]);
  }

  /** Stops and starts the same container: same host keys (kept across restarts), same port. */
  async restart(): Promise<void> {
    await this.#container.restart();
    for (let attempt = 0; attempt < 100; attempt++) {
      const logs = (await run("docker", ["logs", this.id])).stderr;
      if ((logs.match(/Server listening on 0\.0\.0\.0 port 122/g) ?? []).length >= 2) return;
      await systemClock.sleep(200); // a real container restarting: real time, polled
    }
  }

  /** Removes the container and starts a fresh one on the same port: new host keys. */
  async recreate(): Promise<void> {
    await this.#container.stop({ remove: true });
    const next = await NodeContainer.start(this.name, this.role, this.authorizedKey, this.options, this.port);
    this.#container = next.#container;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    // Teardown of a test container: unpause fails on a container that is not paused, and stop on one a test already removed.
    await run("docker", ["unpause", this.id]).catch(() => undefined);
    await this.#container.stop({ remove: true, timeout: 1 }).catch(() => undefined);
  }
}

/** A client key pair and a known_hosts file in a temp dir. */
export class SshFixture implements AsyncDisposable {
  private constructor(
    readonly dir: string,
    readonly publicKey: string,
  ) {}

  static async create(): Promise<SshFixture> {
    const dir = await mkdtemp(join(tmpdir(), "connect-ops-ssh-"));
    await run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "connect-ops-test", "-f", join(dir, "id")]);
    await run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "wrong", "-f", join(dir, "wrong")]);
    await writeFile(join(dir, "known_hosts"), "");
    return new SshFixture(dir, (await readFile(join(dir, "id.pub"), "utf8")).trim());
  }

  get identityFile(): string {
    return join(this.dir, "id");
  }
  get wrongIdentityFile(): string {
    return join(this.dir, "wrong");
  }
  get knownHostsFile(): string {
    return join(this.dir, "known_hosts");
  }

  /** Trusts the nodes' current keys, as an operator would after checking them (ssh-keyscan). */
  async trust(...nodes: NodeContainer[]): Promise<void> {
    for (const node of nodes) {
      const { stdout } = await run("ssh-keyscan", ["-p", String(node.port), "127.0.0.1"]);
      await writeFile(this.knownHostsFile, stdout, { flag: "a" });
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }
}

/** Starts containers in parallel, at most two at a time (the machine has 2 cores). */
export async function startNodes(
  definitions: readonly { name: string; role: NodeRole; options?: StartNodeOptions }[],
  authorizedKey: string,
): Promise<NodeContainer[] & AsyncDisposable> {
  const started: NodeContainer[] = [];
  const queue = [...definitions];
  const worker = async (): Promise<void> => {
    for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
      started.push(await NodeContainer.start(next.name, next.role, authorizedKey, next.options));
    }
  };
  const dispose = async (): Promise<void> => {
    await Promise.all(started.map((node) => node[Symbol.asyncDispose]()));
  };
  try {
    await Promise.all([worker(), worker()]);
  } catch (error) {
    await dispose();
    throw error;
  }
  const ordered = definitions.map((definition) => started.find((node) => node.name === definition.name) as NodeContainer);
  return Object.assign(ordered, { [Symbol.asyncDispose]: dispose });
}
