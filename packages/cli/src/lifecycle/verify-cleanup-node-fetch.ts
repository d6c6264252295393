import type { InMemoryFile } from "@connect-ops/backup-hooks";
import type { NodeSpec, RemoteShell, SshOptions } from "@connect-ops/replication";
import { join } from "node:path";

/** Files larger than this are not read from a node: a gap, never silently skipped. */
export const MAX_FETCH_BYTES = 1024 * 1024;
/** What one node's files may hold in memory at once; a file past it is a gap (memory stays bounded). */
export const MAX_NODE_BYTES = 64 * 1024 * 1024;

/** A node's credential directory as read over SSH: the small files' bytes in memory, and what could not be read. */
export interface NodeTree {
  readonly absent: boolean;
  /** Each file's bytes, named by its path on the node. Held in memory only: nothing is written to disk. */
  readonly files: readonly InMemoryFile[];
  readonly unfetched: readonly { path: string; reason: string }[];
  /** `path<TAB>size` of every file read. */
  readonly lines: readonly string[];
}

// Only sh, head and printf: the GHES admin shell and the test image both have them.
// Every directory is checked for read and search permission before its glob is expanded:
// a glob in a directory the user cannot list expands to nothing, which read as "empty".
const listScript = (dir: string, quote: (value: string) => string): string => `d=${quote(dir)}
[ -e "$d" ] || { printf 'A\\0'; exit 0; }
walk() {
  if ! [ -r "$1" ] || ! [ -x "$1" ]; then printf 'U%s\\0' "$1"; return; fi
  for f in "$1"/* "$1"/.[!.]* "$1"/..?*; do
    if [ -L "$f" ]; then printf 'L%s\\0' "$f"
    elif [ -d "$f" ]; then walk "$f"
    elif [ -f "$f" ]; then printf 'F%s\\0' "$f"
    elif [ -e "$f" ]; then printf 'O%s\\0' "$f"
    fi
  done
}
[ -d "$d" ] || { printf 'O%s\\0' "$d"; exit 0; }
walk "$d"`;

const REASONS: Readonly<Record<string, string>> = {
  U: "unreadable-directory: the SSH user cannot list or search it",
  L: "symlink-not-followed",
  O: "not-a-regular-file",
};

/**
 * Reads the node's credential directory (small files only) over one SSH
 * connection straight into memory, for the scanner's `scanBuffers`: nothing
 * fetched from a node touches a disk, so a signal cannot leave a copy behind.
 * Throws the replication package's errors when the node cannot be reached.
 */
export async function readNodeTree(node: NodeSpec, ssh: SshOptions, connectTimeoutMs = 10_000): Promise<NodeTree> {
  const { HostKeyVerifier, openSshShell, shellQuote } = await import("@connect-ops/replication");
  const verifier = await HostKeyVerifier.load(ssh.knownHostsFile ?? join(ssh.env?.HOME ?? "", ".ssh", "known_hosts"), {
    acceptNewHostKeys: ssh.acceptNewHostKeys === true,
  });
  const { readInputFile } = await import("@connect-ops/connection-core");
  const privateKey =
    ssh.identityFile === undefined ? undefined : await readInputFile(ssh.identityFile, { kind: "private-key" });
  const agentSocket = ssh.agentSocket ?? ssh.env?.SSH_AUTH_SOCK;
  await using shell: RemoteShell = await openSshShell(node, {
    verifier,
    connectTimeoutMs,
    ...(privateKey === undefined ? {} : { privateKey }),
    ...(agentSocket === undefined ? {} : { agentSocket }),
  });
  const files: InMemoryFile[] = [];
  const unfetched: { path: string; reason: string }[] = [];
  const lines: string[] = [];
  let held = 0;
  const listing = await shell.run(listScript(node.path, shellQuote), []);
  if (listing.code !== 0) throw new Error(`listing ${node.path} failed with status ${String(listing.code)}`);
  const entries = listing.stdout
    .toString("utf8")
    .split("\0")
    .filter((entry) => entry.length > 0);
  if (entries[0] === "A") return { absent: true, files, unfetched, lines };
  for (const entry of entries) {
    const kind = entry.slice(0, 1);
    const path = entry.slice(1);
    const reason = REASONS[kind];
    if (reason !== undefined) unfetched.push({ path, reason });
    if (kind !== "F") continue;
    const read = await shell.run(`head -c ${String(MAX_FETCH_BYTES + 1)} -- ${shellQuote(path)}`, []);
    if (read.code !== 0) unfetched.push({ path, reason: "unreadable-file" });
    else if (read.stdout.length > MAX_FETCH_BYTES)
      unfetched.push({ path, reason: `over-fetch-limit: more than ${String(MAX_FETCH_BYTES)} bytes` });
    else if (held + read.stdout.length > MAX_NODE_BYTES)
      unfetched.push({
        path,
        reason: `over-fetch-limit: the node's files exceed ${String(MAX_NODE_BYTES)} bytes in all`,
      });
    else {
      held += read.stdout.length;
      files.push({ path, bytes: read.stdout });
      lines.push(`${path}\t${String(read.stdout.length)}`);
    }
  }
  return { absent: false, files, unfetched, lines };
}
