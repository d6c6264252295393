import type { Client, ClientChannel } from "ssh2";
import { ReplicationError } from "./errors.js";
import type { JumpHostSpec, NodeSpec } from "./inventory.js";
import { connectSshClient, endSshClient, type SshConnectOptions } from "./ssh-connect.js";

interface SharedJump {
  readonly client: Promise<Client>;
  users: number;
  closed: boolean;
}

/** A channel through a jump host, and the release of this node's hold on the jump connection. */
export interface JumpChannel {
  readonly channel: ClientChannel;
  release(): Promise<void>;
}

/**
 * One SSH connection per jump host, shared by every node behind it (ssh2
 * `forwardOut`, like backup-utils' `ProxyCommand ssh -p 122 admin@primary nc %h %p`).
 * The connection closes when the last node behind it is done; a later node opens it again.
 */
export class JumpHosts {
  readonly #jumps = new Map<string, SharedJump>();

  constructor(private readonly connect: Omit<SshConnectOptions, "connectTimeoutMs" | "signal">) {}

  /** Forwards a channel to `node` (host:port as the jump host sees it). Throws the jump's connect errors, or `REPL_UNREACHABLE`. */
  async open(node: NodeSpec, jump: JumpHostSpec, connectTimeoutMs: number, signal: AbortSignal): Promise<JumpChannel> {
    const shared = this.#hold(jump, connectTimeoutMs, signal);
    let released = false;
    const release = async (): Promise<void> => {
      if (released) return;
      released = true;
      shared.users -= 1;
      if (shared.users > 0 || shared.closed) return;
      shared.closed = true;
      if (this.#jumps.get(jump.name) === shared) this.#jumps.delete(jump.name);
      await shared.client.then(endSshClient, () => undefined); // a jump that never connected has nothing to close
    };
    try {
      const client = await shared.client;
      const channel = await forward(client, node, jump);
      return { channel, release };
    } catch (error) {
      await release();
      throw error;
    }
  }

  #hold(jump: JumpHostSpec, connectTimeoutMs: number, signal: AbortSignal): SharedJump {
    const existing = this.#jumps.get(jump.name);
    if (existing !== undefined && !existing.closed) {
      existing.users += 1;
      return existing;
    }
    const client = connectSshClient(jump, { ...this.connect, connectTimeoutMs, signal });
    const shared: SharedJump = { client, users: 1, closed: false };
    this.#jumps.set(jump.name, shared);
    client.then(
      (connected) => {
        connected.once("close", () => {
          shared.closed = true;
          if (this.#jumps.get(jump.name) === shared) this.#jumps.delete(jump.name);
        });
      },
      () => {
        // A failed connect is not reused: the next node (or retry) connects again.
        shared.closed = true;
        if (this.#jumps.get(jump.name) === shared) this.#jumps.delete(jump.name);
      },
    );
    return shared;
  }
}

function forward(client: Client, node: NodeSpec, jump: JumpHostSpec): Promise<ClientChannel> {
  return new Promise<ClientChannel>((resolve, reject) => {
    client.forwardOut("127.0.0.1", 0, node.host, node.port, (error: Error | undefined, channel: ClientChannel) => {
      if (error === undefined) {
        resolve(channel);
        return;
      }
      reject(
        new ReplicationError(
          "REPL_UNREACHABLE",
          `node ${node.name} (${node.user}@${node.host}:${node.port}) is unreachable through jump host ${jump.name}: ${error.message}`,
          {
            category: "incomplete",
            hint: `check that ${jump.name} reaches ${node.host}:${node.port} and that its sshd allows TCP forwarding (AllowTcpForwarding); re-run once it is back`,
            context: { node: node.name, host: node.host, port: node.port, jumpHost: jump.name },
            cause: error,
          },
        ),
      );
    });
  });
}
