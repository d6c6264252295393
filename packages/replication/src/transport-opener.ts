import { isConnectOpsError, readInputFile } from "@connect-ops/connection-core";
import { homedir } from "node:os";
import { join } from "node:path";
import { ReplicationError } from "./errors.js";
import { HostKeyVerifier } from "./host-key-verifier.js";
import { JumpHosts } from "./jump-hosts.js";
import { defaultLockHolder } from "./node-lock.js";
import type { NodeSpec, SshSettings } from "./inventory.js";
import { createLocalTransport } from "./local-transport.js";
import { createShellTransport } from "./shell-transport.js";
import { openSshShell } from "./ssh-shell.js";
import type { NodeTransport } from "./transport.js";

/** Opens the transport of one node; `connectTimeoutMs` bounds the handshake, `signal` aborts it. */
export type TransportOpener = (node: NodeSpec, connectTimeoutMs: number, signal: AbortSignal) => Promise<NodeTransport>;

export interface SshOptions extends SshSettings {
  /** `--connect-timeout`: bound on TCP connect + SSH handshake + login per node, when a fan-out names none (default 10 s). */
  readonly connectTimeoutMs?: number;
  /** Record keys of hosts not yet in known_hosts (`--accept-new-host-keys`); never replaces a known key. */
  readonly acceptNewHostKeys?: boolean;
  /** ssh-agent socket; defaults to `SSH_AUTH_SOCK` from `env`. */
  readonly agentSocket?: string;
  /** Who a node's lock names while this run commits (default `<host> pid <pid>`). */
  readonly lockHolder?: string;
  /** How long a commit waits for another run's node-side lock (default: the connect timeout). */
  readonly lockWaitMs?: number;
  /** Where `SSH_AUTH_SOCK` and `HOME` are read; defaults to `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/**
 * The production opener: `local` nodes are directories, `ssh` nodes get one
 * ssh2 connection each (through their jump host's shared connection when the
 * inventory names one; the script runs under `sudo -n` when it says so). Reads the identity file and known_hosts once per run.
 * Throws `REPL_IDENTITY_UNREADABLE` (input) when the key file cannot be read.
 */
export async function createTransportOpener(
  nodes: readonly NodeSpec[],
  ssh: SshOptions = {},
): Promise<TransportOpener> {
  const needsSsh = nodes.some((node) => node.transport === "ssh");
  const env = ssh.env ?? process.env;
  let verifier: HostKeyVerifier | undefined;
  let privateKey: Buffer | undefined;
  const agentSocket = ssh.agentSocket ?? env["SSH_AUTH_SOCK"];
  if (needsSsh) {
    const knownHostsFile = ssh.knownHostsFile ?? join(env["HOME"] ?? homedir(), ".ssh", "known_hosts");
    verifier = await HostKeyVerifier.load(knownHostsFile, { acceptNewHostKeys: ssh.acceptNewHostKeys === true });
    if (ssh.identityFile !== undefined) {
      privateKey = await readInputFile(ssh.identityFile, { kind: "private-key" }).catch((error: unknown) => {
        if (isConnectOpsError(error) && error.code !== "INPUT_UNREADABLE") throw error;
        throw new ReplicationError(
          "REPL_IDENTITY_UNREADABLE",
          `cannot read the SSH identity file ${ssh.identityFile}`,
          {
            category: "input",
            hint: "fix ssh.identityFile in the inventory, or leave it out to use ssh-agent (SSH_AUTH_SOCK)",
            context: { identityFile: ssh.identityFile },
            cause: error,
          },
        );
      });
    } else if (agentSocket === undefined) {
      throw new ReplicationError(
        "REPL_IDENTITY_UNREADABLE",
        "no SSH identity: the inventory names no ssh.identityFile and SSH_AUTH_SOCK is not set",
        {
          category: "input",
          hint: "set ssh.identityFile in the inventory, or start ssh-agent and add the key (ssh-add)",
        },
      );
    }
  }
  const auth = {
    ...(privateKey === undefined ? {} : { privateKey }),
    ...(agentSocket === undefined ? {} : { agentSocket }),
  };
  const holder = ssh.lockHolder ?? defaultLockHolder();
  const jumps = verifier === undefined ? undefined : new JumpHosts({ verifier, ...auth });
  const openSsh: TransportOpener = async (node, connectTimeoutMs, signal) => {
    if (verifier === undefined || jumps === undefined) throw new Error("unreachable: ssh verifier not prepared");
    const sudo = node.sudo === true;
    // A commit waits for another run's lock on the node as long as a connect may take.
    const lock = { holder, waitMs: ssh.lockWaitMs ?? connectTimeoutMs };
    if (node.jumpHost === undefined) {
      const shell = await openSshShell(node, { verifier, connectTimeoutMs, signal, sudo, ...auth });
      return createShellTransport(node.name, node.path, shell, lock);
    }
    const via = await jumps.open(node, node.jumpHost, connectTimeoutMs, signal);
    try {
      const shell = await openSshShell(node, { verifier, connectTimeoutMs, signal, sudo, sock: via.channel, ...auth });
      return createShellTransport(
        node.name,
        node.path,
        {
          run: (script, stdin, stepSignal) => shell.run(script, stdin, stepSignal),
          converse: (script, reply, stepSignal) => shell.converse(script, reply, stepSignal),
          [Symbol.asyncDispose]: async () => {
            try {
              await shell[Symbol.asyncDispose]();
            } finally {
              await via.release();
            }
          },
        },
        lock,
      );
    } catch (error) {
      via.channel.destroy();
      await via.release();
      throw error;
    }
  };
  // The one table of drivers, keyed by the inventory's `transport`.
  const drivers: Readonly<Record<NodeSpec["transport"], TransportOpener>> = {
    local: (node) => Promise.resolve().then(() => createLocalTransport(node.name, node.path)),
    ssh: openSsh,
  };
  return (node, connectTimeoutMs, signal) => drivers[node.transport](node, connectTimeoutMs, signal);
}
