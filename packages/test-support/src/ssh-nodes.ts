import { execFile } from "node:child_process";
import { writeFileSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { promisify } from "node:util";
import { NodeContainer, type NodeRole, type SshNodeSpec, type StartNodeOptions } from "./node-container.js";
import { testdir, type TestDir } from "./testdir.js";

const run = promisify(execFile);

/** A client key pair (`id`), a key no node trusts (`wrong`) and a known_hosts file, in a self-removing dir. */
export class SshFixture implements AsyncDisposable {
  readonly #dir: TestDir;

  private constructor(
    dir: TestDir,
    readonly publicKey: string,
  ) {
    this.#dir = dir;
  }

  /** Generates the keys with ssh-keygen; `prefix` names the dir (test/ uses `e2e-*`, which its leak canary watches). */
  static async create(prefix = "connect-ops-ssh-"): Promise<SshFixture> {
    const dir = await testdir({ prefix, files: { known_hosts: { content: "", mode: 0o600 } } });
    try {
      await run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "connect-ops-test", "-f", dir.join("id")]);
      await run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "wrong", "-f", dir.join("wrong")]);
      return new SshFixture(dir, (await readFile(dir.join("id.pub"), "utf8")).trim());
    } catch (error) {
      await dir[Symbol.asyncDispose]();
      throw error;
    }
  }

  get dir(): string {
    return this.#dir.path;
  }
  get identityFile(): string {
    return this.#dir.join("id");
  }
  get wrongIdentityFile(): string {
    return this.#dir.join("wrong");
  }
  get knownHostsFile(): string {
    return this.#dir.join("known_hosts");
  }

  /** Trusts the nodes' current keys, as an operator would after checking them (ssh-keyscan). */
  async trust(...nodes: readonly NodeContainer[]): Promise<void> {
    for (const node of nodes) {
      // A node behind a jump host has no published port: read its keys inside the container.
      const stdout = node.published
        ? (await run("ssh-keyscan", ["-p", String(node.port), "127.0.0.1"])).stdout
        : await node.knownHostsLines();
      await writeFile(this.knownHostsFile, stdout, { flag: "a" });
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.#dir[Symbol.asyncDispose]();
  }
}

export interface NodeDefinition {
  readonly name: string;
  readonly role: NodeRole;
  readonly options?: StartNodeOptions;
}

/**
 * Starts one container per definition, `concurrency` (default two: the machine
 * has 2 cores) at a time, in definition order. Every worker settles before a
 * failure is handled, so no container that is still starting escapes the
 * clean-up; then the first failure is rethrown.
 */
export async function startNodes(
  definitions: readonly NodeDefinition[],
  authorizedKey: string,
  concurrency = 2,
): Promise<NodeContainer[] & AsyncDisposable> {
  const started: NodeContainer[] = [];
  const queue = [...definitions];
  let failed = false;
  const worker = async (): Promise<void> => {
    for (let next = queue.shift(); next !== undefined && !failed; next = queue.shift()) {
      started.push(await NodeContainer.start(next.name, next.role, authorizedKey, next.options));
    }
  };
  const dispose = async (): Promise<void> => {
    await Promise.all(started.map((node) => node[Symbol.asyncDispose]()));
  };
  const results = await Promise.allSettled(
    Array.from({ length: Math.max(1, concurrency) }, () =>
      worker().catch((error: unknown) => {
        failed = true;
        throw error;
      }),
    ),
  );
  const rejected = results.find((result) => result.status === "rejected");
  if (rejected !== undefined) {
    await dispose();
    throw rejected.reason;
  }
  const ordered = definitions.map(
    (definition) => started.find((node) => node.name === definition.name) as NodeContainer,
  );
  return Object.assign(ordered, { [Symbol.asyncDispose]: dispose });
}

/** Started nodes, the client key and known_hosts they trust, and how tests address them. */
export interface SshTopology extends AsyncDisposable {
  readonly dir: string;
  readonly identityFile: string;
  readonly knownHostsFile: string;
  readonly nodes: readonly NodeContainer[];
  /** The SSH options of `probeNodes` and the replication API. */
  readonly ssh: { readonly identityFile: string; readonly knownHostsFile: string };
  /** The nodes as the replication API takes them (for `probeNodes`). */
  readonly specs: SshNodeSpec[];
  /** Writes an inventory file listing every node, with this client key and known_hosts. */
  writeInventory(path: string): void;
}

/**
 * A client key pair, an empty known_hosts file and one container per node,
 * started `concurrency` (default two) at a time; disposing stops every
 * container and removes the dir (`e2e-ssh-*`, watched by test/'s canary).
 */
export async function startSshNodes(definitions: readonly NodeDefinition[], concurrency = 2): Promise<SshTopology> {
  const fixture = await SshFixture.create("e2e-ssh-");
  let nodes: NodeContainer[] & AsyncDisposable;
  try {
    nodes = await startNodes(definitions, fixture.publicKey, concurrency);
  } catch (error) {
    await fixture[Symbol.asyncDispose]();
    throw error;
  }
  const ssh = { identityFile: fixture.identityFile, knownHostsFile: fixture.knownHostsFile };
  return {
    dir: fixture.dir,
    ...ssh,
    nodes,
    ssh,
    specs: nodes.map((node) => node.spec()),
    writeInventory: (path) =>
      writeFileSync(
        path,
        JSON.stringify({
          ssh,
          nodes: nodes.map((node) => ({ name: node.name, host: "127.0.0.1", port: node.port, role: node.role })),
        }),
      ),
    [Symbol.asyncDispose]: async () => {
      await nodes[Symbol.asyncDispose]();
      await fixture[Symbol.asyncDispose]();
    },
  };
}

/** The SHA256 fingerprints a node's sshd offers, as `ssh-keygen -l` prints them. */
export async function hostKeyFingerprints(port: number): Promise<string[]> {
  const { stdout } = await run("sh", ["-c", `ssh-keyscan -p ${port} 127.0.0.1 2>/dev/null | ssh-keygen -lf -`]);
  return [...stdout.matchAll(/SHA256:[A-Za-z0-9+/]+/g)].map((match) => match[0]);
}
