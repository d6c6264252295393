import { execFile } from "node:child_process";
import { createServer } from "node:net";
import { promisify } from "node:util";
import { GenericContainer, Network, Wait, type StartedNetwork, type StartedTestContainer } from "testcontainers";
import { NODE_IMAGE_TAG } from "./node-image.js";

const run = promisify(execFile);

/** A node's role, as the replication inventory spells it. */
export type NodeRole = "primary" | "replica" | "cluster";

/** Where GHES keeps the Connect credentials; the image's `admin` (uid 1000) owns it (root with `sudo`). */
export const NODE_TARGET = "/data/user/common/github-connect";

/** A container node as the replication API takes it (assignable to replication's `NodeSpec`). */
export interface SshNodeSpec {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly role: NodeRole;
  readonly path: string;
  readonly transport: "ssh";
}

/** sshd's ready line (no `g` flag: a shared global regex keeps `lastIndex` between containers and misses the next one's line). */
const LISTENING = /Server listening on 0\.0\.0\.0 port 122/;

/** A Docker network for nodes that answer only each other (a GHES cluster behind its primary); dispose it after its nodes. */
export function startNodeNetwork(): Promise<StartedNetwork> {
  return new Network().start();
}

/** A free TCP port on 127.0.0.1, so a node keeps its port across restart and recreate. */
export async function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address !== null ? resolve(address.port) : reject(new Error("no port")),
      );
    });
  });
}

/** The test-node image with its SSH port published on 127.0.0.1 only (testcontainers binds all interfaces). */
class LoopbackNodeContainer extends GenericContainer {
  constructor(hostPort: number | undefined) {
    super(NODE_IMAGE_TAG);
    if (hostPort !== undefined) {
      this.withExposedPorts({ container: 122, host: hostPort });
      this.hostConfig.PortBindings = { "122/tcp": [{ HostIp: "127.0.0.1", HostPort: String(hostPort) }] };
    }
    this.withWaitStrategy(Wait.forLogMessage(LISTENING)).withStartupTimeout(120_000);
  }
}

export interface StartNodeOptions {
  /** Mount a tmpfs at the target (e.g. "size=64k") to fill the disk. */
  readonly tmpfsAtTarget?: string;
  /**
   * Set up like a GHES appliance: /data/user/common owned by root and admin with
   * passwordless sudo (`nopasswd`), or with a sudo that asks for a password (`password`).
   */
  readonly sudo?: "nopasswd" | "password";
  /** Join this Docker network, reachable there as the node's name (port 122). */
  readonly network?: StartedNetwork;
  /** Publish port 122 on 127.0.0.1 (default true); false: reachable only on `network`, like a GHES cluster node behind the primary. */
  readonly publish?: boolean;
}

/** One sshd node (the test-node image) that trusts one client key; `recreate` gives it new host keys on the same port. */
export class NodeContainer implements AsyncDisposable {
  #container: StartedTestContainer;
  readonly #authorizedKey: string;
  readonly #options: StartNodeOptions;

  private constructor(
    readonly name: string,
    readonly role: NodeRole,
    readonly port: number,
    container: StartedTestContainer,
    authorizedKey: string,
    options: StartNodeOptions,
  ) {
    this.#container = container;
    this.#authorizedKey = authorizedKey;
    this.#options = options;
  }

  /** Starts a node that accepts `authorizedKey` (an OpenSSH public key line); throws when it does not come up within 2 minutes. */
  static async start(
    name: string,
    role: NodeRole,
    authorizedKey: string,
    options: StartNodeOptions = {},
    port?: number,
  ): Promise<NodeContainer> {
    const hostPort = options.publish === false ? 0 : (port ?? (await freeLoopbackPort()));
    const builder = new LoopbackNodeContainer(hostPort === 0 ? undefined : hostPort).withEnvironment({
      AUTHORIZED_KEY: authorizedKey,
      ...(options.sudo === undefined ? {} : { NODE_SUDO: options.sudo }),
    });
    if (options.network !== undefined) builder.withNetwork(options.network).withNetworkAliases(name);
    if (options.tmpfsAtTarget !== undefined) {
      // uid 1000 is `admin` in the image.
      builder.withTmpFs({ [NODE_TARGET]: `${options.tmpfsAtTarget},mode=0700,uid=1000,gid=1000` });
    }
    return new NodeContainer(name, role, hostPort, await builder.start(), authorizedKey, options);
  }

  get id(): string {
    return this.#container.getId();
  }

  /** Whether port 122 is published on 127.0.0.1 (`port`); else the node answers only on its network, as `name`:122. */
  get published(): boolean {
    return this.port !== 0;
  }

  /** The host public keys as known_hosts lines for `host` (default: how the test reaches it), read inside the container. */
  async knownHostsLines(host = this.published ? `[127.0.0.1]:${this.port}` : `[${this.name}]:122`): Promise<string> {
    const keys = await this.exec("cat /etc/ssh/ssh_host_*_key.pub", "root");
    return keys
      .split("\n")
      .filter((line) => line.trim() !== "")
      .map((line) => `${host} ${line.split(" ").slice(0, 2).join(" ")}\n`)
      .join("");
  }

  spec(path = NODE_TARGET): SshNodeSpec {
    return {
      name: this.name,
      host: this.published ? "127.0.0.1" : this.name,
      port: this.published ? this.port : 122,
      user: "admin",
      role: this.role,
      path,
      transport: "ssh",
    };
  }

  /** Runs `script` in the node as `user` (default `admin`, the owner of the target) and returns its output; throws on a non-zero exit. */
  async exec(script: string, user = "admin"): Promise<string> {
    const result = await this.#container.exec(["sh", "-c", script], { user });
    if (result.exitCode !== 0) throw new Error(`exec in ${this.name} failed (${result.exitCode}): ${result.output}`);
    return result.output;
  }

  /** `docker <args> <id>`. */
  async docker(...args: string[]): Promise<void> {
    await run("docker", [...args, this.id]);
  }

  /** Freezes every process of the node (`docker pause`): its sshd accepts TCP but answers nothing. Resolves with the attempts it took. */
  async pause(): Promise<number> {
    // cgroup v1 cannot always freeze a cgroup while processes fork in it (sshd per
    // connection): runc then thaws and fails with "unable to freeze". Retry a few times.
    for (let attempt = 1; ; attempt++) {
      try {
        await this.docker("pause");
        return attempt;
      } catch (error) {
        if (attempt >= 5 || !/unable to freeze/.test(String(error))) throw error;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
  }

  /** Thaws a paused node (`docker unpause`). */
  async unpause(): Promise<void> {
    await this.docker("unpause");
  }

  /** Stops and starts the same container: same host keys (kept across restarts), same port. */
  async restart(): Promise<void> {
    await this.#container.restart();
    for (let attempt = 0; attempt < 100; attempt++) {
      const logs = (await run("docker", ["logs", this.id])).stderr;
      if (logs.split("\n").filter((line) => LISTENING.test(line)).length >= 2) return;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  /** Removes the container and starts a fresh one on the same port: new host keys. */
  async recreate(): Promise<void> {
    await this.#container.stop({ remove: true });
    const next = await NodeContainer.start(this.name, this.role, this.#authorizedKey, this.#options, this.port);
    this.#container = next.#container;
  }

  /** Thaws (a paused container cannot be stopped) and removes the container; a node already gone is not an error. */
  async [Symbol.asyncDispose](): Promise<void> {
    // Teardown of a test container: unpause fails on a container that is not paused, and stop on one a test already removed.
    await run("docker", ["unpause", this.id]).catch(() => undefined);
    await this.#container.stop({ remove: true, timeout: 1 }).catch(() => undefined);
  }
}
