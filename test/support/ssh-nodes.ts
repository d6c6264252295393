import { NODE_IMAGE_TAG, type NodeSpec } from "@connect-ops/replication";
import { execFile } from "node:child_process";
import { writeFileSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { GenericContainer, Wait, type StartedTestContainer } from "testcontainers";

const run = promisify(execFile);

/** Where GHES keeps the Connect credentials; the image's `admin` owns it. */
export const NODE_TARGET = "/data/user/common/github-connect";

async function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address !== null ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

/** One sshd node (the test-node image), its SSH port published on 127.0.0.1 only. */
export interface SshNode {
  readonly name: string;
  readonly role: "replica" | "cluster";
  readonly port: number;
  /** Runs `script` in the node as `admin` and returns its output. */
  exec(script: string): Promise<string>;
  /** Freezes every process of the node (`docker pause`): its sshd accepts TCP but answers nothing. Resolves with the attempts it took. */
  pause(): Promise<number>;
  /** Thaws a paused node (`docker unpause`). */
  unpause(): Promise<void>;
}

async function startNode(name: string, role: SshNode["role"], authorizedKey: string): Promise<SshNode & { container: StartedTestContainer }> {
  const port = await freeLoopbackPort();
  const builder = new GenericContainer(NODE_IMAGE_TAG)
    .withEnvironment({ AUTHORIZED_KEY: authorizedKey })
    .withExposedPorts({ container: 122, host: port })
    .withWaitStrategy(Wait.forLogMessage(/Server listening on 0\.0\.0\.0 port 122/))
    .withStartupTimeout(120_000);
  // testcontainers binds every interface; tests talk to 127.0.0.1 only.
  (builder as unknown as { hostConfig: { PortBindings: unknown } }).hostConfig.PortBindings = { "122/tcp": [{ HostIp: "127.0.0.1", HostPort: String(port) }] };
  const container = await builder.start();
  return {
    name,
    role,
    port,
    container,
    exec: async (script) => {
      const result = await container.exec(["sh", "-c", script], { user: "admin" });
      if (result.exitCode !== 0) throw new Error(`exec in ${name} failed (${result.exitCode}): ${result.output}`);
      return result.output;
    },
    pause: async () => {
      // cgroup v1 cannot always freeze a cgroup while processes fork in it (sshd per
      // connection): runc then thaws and fails with "unable to freeze". Retry a few times.
      for (let attempt = 1; ; attempt++) {
        try {
          await run("docker", ["pause", container.getId()]);
          return attempt;
        } catch (error) {
          if (attempt >= 5 || !/unable to freeze/.test(String(error))) throw error;
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      }
    },
    unpause: async () => void (await run("docker", ["unpause", container.getId()])),
  };
}

/** Started nodes, the client key and known_hosts they trust, and how tests address them. */
export interface SshTopology extends AsyncDisposable {
  readonly dir: string;
  readonly identityFile: string;
  readonly knownHostsFile: string;
  readonly nodes: readonly SshNode[];
  /** The SSH options of `probeNodes` and the replication API. */
  readonly ssh: { readonly identityFile: string; readonly knownHostsFile: string };
  /** The nodes as the replication API takes them (for `probeNodes`). */
  readonly specs: NodeSpec[];
  /** Writes an inventory file listing every node, with this client key and known_hosts. */
  writeInventory(path: string): void;
}

/**
 * A client key pair, an empty known_hosts file and one container per node,
 * started `concurrency` (default two) at a time; disposing stops every
 * container and removes the dir.
 */
export async function startSshNodes(definitions: readonly { name: string; role: SshNode["role"] }[], concurrency = 2): Promise<SshTopology> {
  const dir = await mkdtemp(join(tmpdir(), "e2e-ssh-"));
  const identityFile = join(dir, "id_ed25519");
  await run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "connect-ops-e2e", "-f", identityFile]);
  const knownHostsFile = join(dir, "known_hosts");
  await writeFile(knownHostsFile, "", { mode: 0o600 });
  const publicKey = (await readFile(`${identityFile}.pub`, "utf8")).trim();
  const started: (SshNode & { container: StartedTestContainer })[] = [];
  const dispose = async () => {
    await Promise.all(started.map((node) => node.container.stop({ remove: true, timeout: 1 }).catch(() => undefined)));
    await rm(dir, { recursive: true, force: true });
  };
  const queue = [...definitions];
  let failed = false;
  const worker = async () => {
    for (let next = queue.shift(); next !== undefined && !failed; next = queue.shift()) started.push(await startNode(next.name, next.role, publicKey));
  };
  // Every worker settles before a failure is handled, so no container that is still starting escapes the clean-up.
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
    throw (rejected as PromiseRejectedResult).reason;
  }
  const nodes = definitions.map((definition) => started.find((node) => node.name === definition.name) as SshNode);
  const ssh = { identityFile, knownHostsFile };
  return {
    dir,
    identityFile,
    knownHostsFile,
    nodes,
    ssh,
    specs: nodes.map((node) => ({ name: node.name, role: node.role, host: "127.0.0.1", port: node.port, user: "admin", path: NODE_TARGET, transport: "ssh" })),
    writeInventory: (path) =>
      writeFileSync(path, JSON.stringify({ ssh, nodes: nodes.map((node) => ({ name: node.name, host: "127.0.0.1", port: node.port, role: node.role })) })),
    [Symbol.asyncDispose]: dispose,
  };
}

/** The SHA256 fingerprints a node's sshd offers, as `ssh-keygen -l` prints them. */
export async function hostKeyFingerprints(port: number): Promise<string[]> {
  const { stdout } = await run("sh", ["-c", `ssh-keyscan -p ${port} 127.0.0.1 2>/dev/null | ssh-keygen -lf -`]);
  return [...stdout.matchAll(/SHA256:[A-Za-z0-9+/]+/g)].map((match) => match[0]);
}
