import { shellQuote, type NodeSpec, type RemoteShell, type SshOptions } from "@connect-ops/replication";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Files larger than this are not fetched from a node: a gap, never silently skipped. */
export const MAX_FETCH_BYTES = 1024 * 1024;

export interface FetchedTree {
  /** Scratch dir holding copies named `f<N>`; `originals` maps them back. Remove with `dispose`. */
  readonly scratch: string;
  readonly originals: ReadonlyMap<string, string>;
  readonly absent: boolean;
  readonly unfetched: readonly { path: string; reason: string }[];
  readonly lines: readonly string[];
  dispose(): Promise<void>;
}

// Only sh, head and printf: the GHES admin shell and the test image both have them.
const listScript = (dir: string): string => `d=${shellQuote(dir)}
[ -e "$d" ] || { printf 'A\\0'; exit 0; }
[ -d "$d" ] && [ -r "$d" ] && [ -x "$d" ] || { printf 'U%s\\0' "$d"; exit 0; }
walk() {
  for f in "$1"/* "$1"/.[!.]* "$1"/..?*; do
    if [ -L "$f" ]; then printf 'L%s\\0' "$f"
    elif [ -d "$f" ]; then walk "$f"
    elif [ -f "$f" ]; then printf 'F%s\\0' "$f"
    elif [ -e "$f" ]; then printf 'O%s\\0' "$f"
    fi
  done
}
walk "$d"`;

/**
 * Copies the node's credential directory (small files only) over one SSH
 * connection into a private scratch dir on tmpfs (`/dev/shm`, memory, when
 * there is one), so the scanner of the backup issue can read it; the caller
 * scans and disposes (the copies are overwritten, then removed). Throws the
 * replication package's errors when the node cannot be reached.
 */
export async function fetchNodeTree(node: NodeSpec, ssh: SshOptions, connectTimeoutMs = 10_000): Promise<FetchedTree> {
  const { HostKeyVerifier, openSshShell } = await import("@connect-ops/replication");
  const verifier = await HostKeyVerifier.load(ssh.knownHostsFile ?? join(ssh.env?.HOME ?? "", ".ssh", "known_hosts"), {
    acceptNewHostKeys: ssh.acceptNewHostKeys === true,
  });
  const { readInputFile } = await import("@connect-ops/connection-core");
  const privateKey =
    ssh.identityFile === undefined ? undefined : await readInputFile(ssh.identityFile, { kind: "private-key" });
  const agentSocket = ssh.agentSocket ?? ssh.env?.SSH_AUTH_SOCK;
  const shell: RemoteShell = await openSshShell(node, {
    verifier,
    connectTimeoutMs,
    ...(privateKey === undefined ? {} : { privateKey }),
    ...(agentSocket === undefined ? {} : { agentSocket }),
  });
  const scratch = await mkdtemp(join(existsSync("/dev/shm") ? "/dev/shm" : tmpdir(), "connect-ops-audit-"));
  // The scratch copies may hold residue: a copy that cannot be shredded is reported (the caller
  // makes it a gap of the node), after the directory is removed all the same.
  const dispose = async (): Promise<void> => {
    const { shredFile } = await import("@connect-ops/credential-vault");
    const { errnoCode, ignoreMissing } = await import("@connect-ops/connection-core");
    const failed: string[] = [];
    for (const name of originals.keys()) {
      await ignoreMissing(shredFile(join(scratch, name))).catch((error: unknown) => {
        failed.push(`${name} (${errnoCode(error) ?? "error"})`);
      });
    }
    await rm(scratch, { recursive: true, force: true });
    if (failed.length > 0)
      throw new Error(`the scratch copies ${failed.join(", ")} in ${scratch} could not be shredded`);
  };
  const originals = new Map<string, string>();
  const unfetched: { path: string; reason: string }[] = [];
  const lines: string[] = [];
  try {
    const listing = await shell.run(listScript(node.path), []);
    if (listing.code !== 0) throw new Error(`listing ${node.path} failed with status ${String(listing.code)}`);
    const entries = listing.stdout
      .toString("utf8")
      .split("\0")
      .filter((entry) => entry.length > 0);
    if (entries[0] === "A") return { scratch, originals, absent: true, unfetched, lines, dispose };
    for (const entry of entries) {
      const kind = entry[0];
      const path = entry.slice(1);
      if (kind === "U") unfetched.push({ path, reason: "unreadable-directory" });
      else if (kind === "L") unfetched.push({ path, reason: "symlink-not-followed" });
      else if (kind === "O") unfetched.push({ path, reason: "not-a-regular-file" });
      if (kind !== "F") continue;
      const read = await shell.run(`head -c ${MAX_FETCH_BYTES + 1} -- ${shellQuote(path)}`, []);
      if (read.code !== 0) unfetched.push({ path, reason: "unreadable-file" });
      else if (read.stdout.length > MAX_FETCH_BYTES)
        unfetched.push({ path, reason: `over-fetch-limit: more than ${MAX_FETCH_BYTES} bytes` });
      else {
        const name = `f${originals.size}`;
        await writeFile(join(scratch, name), read.stdout, { mode: 0o600 });
        originals.set(name, path);
        lines.push(`${path}\t${read.stdout.length}`);
      }
    }
    return { scratch, originals, absent: false, unfetched, lines, dispose };
  } catch (error) {
    // Both travel on: why the fetch stopped, and a scratch copy left unshredded.
    await dispose().catch((disposeError: unknown) => {
      const text = (failure: unknown) => (failure instanceof Error ? failure.message : String(failure));
      throw new AggregateError([error, disposeError], `${text(error)}; ${text(disposeError)}`);
    });
    throw error;
  } finally {
    await shell[Symbol.asyncDispose]();
  }
}
