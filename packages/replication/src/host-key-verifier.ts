import { isConnectOpsError, readInputText } from "@connect-ops/connection-core";
import { ReplicationError } from "./errors.js";
import { atomicWriteFile } from "@connect-ops/credential-vault";
import {
  keyTypeOfBlob,
  knownHostsName,
  knownKeyTypes,
  lookupHostKey,
  parseKnownHosts,
  sshFingerprint,
  type ParsedKnownHosts,
} from "./known-hosts.js";

export interface HostKeyVerifierOptions {
  /** Record keys of hosts the file does not know yet (never replaces a known one). */
  readonly acceptNewHostKeys?: boolean;
}

export interface HostIdentity {
  readonly name: string;
  readonly host: string;
  readonly port: number;
}

/**
 * Host-key policy over one known_hosts file, shared by every connection of a
 * run. ssh2 accepts any key unless a verifier says otherwise: this is ours.
 * Appends are serialized in-process and written atomically.
 */
export class HostKeyVerifier {
  #knownHosts: ParsedKnownHosts;
  #queue: Promise<unknown> = Promise.resolve();

  private constructor(
    readonly file: string,
    knownHosts: ParsedKnownHosts,
    readonly options: HostKeyVerifierOptions,
  ) {
    this.#knownHosts = knownHosts;
  }

  /** Reads `file`; a missing file is an empty one (it is created on the first accepted key). */
  static async load(file: string, options: HostKeyVerifierOptions = {}): Promise<HostKeyVerifier> {
    return new HostKeyVerifier(file, parseKnownHosts(await readKnownHostsText(file)), options);
  }

  /** Key types to offer first in the handshake for this host (empty: the defaults). */
  preferredKeyTypes(host: string, port: number): string[] {
    return knownKeyTypes(this.#knownHosts, host, port);
  }

  /**
   * Resolves when `keyBlob` is trusted for the node (possibly after recording
   * it); throws `REPL_HOST_KEY_UNKNOWN`, `REPL_HOST_KEY_CHANGED` or
   * `REPL_HOST_KEY_REVOKED` (all category `input`).
   */
  async verify(node: HostIdentity, keyBlob: Uint8Array): Promise<void> {
    const result = lookupHostKey(this.#knownHosts, node.host, node.port, keyBlob);
    if (result.status === "known") return;
    const keyType = keyTypeOfBlob(keyBlob) ?? "unknown-type";
    const fingerprint = sshFingerprint(keyBlob);
    const hostName = knownHostsName(node.host, node.port);
    const context = { node: node.name, host: node.host, port: node.port, fingerprint, knownHostsFile: this.file };
    if (result.status === "revoked") {
      throw new ReplicationError(
        "REPL_HOST_KEY_REVOKED",
        `node ${node.name} (${hostName}) presented ${keyType} key ${fingerprint}, which ${this.file} line ${result.line} marks @revoked`,
        { category: "input", hint: "the node must get new host keys before it can receive credentials", context },
      );
    }
    if (result.status === "changed") {
      throw changedKeyError(node, hostName, keyType, fingerprint, this.file, result.knownLines);
    }
    if (this.options.acceptNewHostKeys !== true) {
      throw new ReplicationError(
        "REPL_HOST_KEY_UNKNOWN",
        `node ${node.name} (${hostName}) presented an unknown ${keyType} host key ${fingerprint}; refusing to send credentials to it`,
        {
          category: "input",
          hint:
            `compare ${fingerprint} with \`ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub\` on the node's console, then run ` +
            `\`ssh-keyscan -p ${node.port} ${node.host} >> ${this.file}\`, or re-run with --accept-new-host-keys`,
          context,
        },
      );
    }
    await this.#record(node, hostName, keyType, keyBlob, fingerprint);
  }

  async #record(
    node: HostIdentity,
    hostName: string,
    keyType: string,
    keyBlob: Uint8Array,
    fingerprint: string,
  ): Promise<void> {
    const task = this.#queue.then(async () => {
      // Re-read under the in-process lock: another run may have written meanwhile.
      const text = await readKnownHostsText(this.file);
      const current = parseKnownHosts(text);
      const again = lookupHostKey(current, node.host, node.port, keyBlob);
      if (again.status === "changed") {
        throw changedKeyError(node, hostName, keyType, fingerprint, this.file, again.knownLines);
      }
      if (again.status === "unknown") {
        const separator = text === "" || text.endsWith("\n") ? "" : "\n";
        const line = `${hostName} ${keyType} ${Buffer.from(keyBlob).toString("base64")}\n`;
        await atomicWriteFile(this.file, Buffer.from(`${text}${separator}${line}`), { mode: 0o600 });
        this.#knownHosts = parseKnownHosts(`${text}${separator}${line}`);
      } else {
        this.#knownHosts = current;
      }
    });
    this.#queue = task.catch(() => undefined); // the queue only orders writes: `await task` below throws this error to its caller
    await task;
  }
}

async function readKnownHostsText(file: string): Promise<string> {
  try {
    return await readInputText(file, { kind: "known-hosts" });
  } catch (error) {
    if (isConnectOpsError(error) && error.context.errno === "ENOENT") return "";
    if (isConnectOpsError(error) && error.code !== "INPUT_UNREADABLE") throw error;
    throw new ReplicationError("REPL_KNOWN_HOSTS_INVALID", `cannot read known_hosts file ${file}`, {
      category: "input",
      hint: "check the inventory's ssh.knownHostsFile and its permissions",
      context: { knownHostsFile: file },
      cause: error,
    });
  }
}

function changedKeyError(
  node: HostIdentity,
  hostName: string,
  keyType: string,
  fingerprint: string,
  file: string,
  knownLines: readonly number[],
): ReplicationError {
  return new ReplicationError(
    "REPL_HOST_KEY_CHANGED",
    `host key of node ${node.name} (${hostName}) CHANGED: it presented ${keyType} ${fingerprint}, which does not match ` +
      `${file} line ${knownLines.join(", ")}. This may be a man-in-the-middle attack; nothing was sent`,
    {
      category: "input",
      hint:
        `if the node was reinstalled, verify ${fingerprint} on its console, remove the old entry with ` +
        `\`ssh-keygen -R '${hostName}' -f ${file}\`, add the new key, and run again (--accept-new-host-keys never replaces a key)`,
      context: { node: node.name, host: node.host, port: node.port, fingerprint, knownHostsFile: file },
    },
  );
}
