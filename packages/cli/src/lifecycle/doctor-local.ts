import type { VaultMeta } from "@connect-ops/credential-vault";
import { lstat } from "node:fs/promises";
import { join } from "node:path";
import { failedRow, row, type DoctorRow } from "./doctor.js";

/** What the local checks read: the running Node, the state dir, the config. All reads. */
export interface DoctorLocalPorts {
  /** `process.versions.node`. */
  readonly nodeVersion: string;
  readonly stateDir: string;
  /** The caller's uid (undefined where the platform has none). */
  readonly uid: number | undefined;
  /** The config file's path, as the row names it. */
  readonly configPath: string;
  /** Reads and checks the config (throws its `CONFIG_*`/`INPUT_*` error). */
  readonly readConfig: () => Promise<unknown>;
  /** Parses the identity file (throws `VAULT_IDENTITY_INVALID`); returns how many identities it holds. */
  readonly parseIdentity: (path: string) => Promise<number>;
  /** The vault's meta checked against the sealed file (throws `VAULT_INTEGRITY`); undefined when nothing is sealed. */
  readonly readMeta: () => Promise<VaultMeta | undefined>;
}

const MIN_NODE_MAJOR = 20;
const IDENTITY_FILE = "age-identity.txt";

function nodeVersionRow(version: string): DoctorRow {
  const major = Number(/^v?(\d+)\./.exec(version)?.[1] ?? Number.NaN);
  return major >= MIN_NODE_MAJOR
    ? row("node-version", "node", "pass", `Node.js ${version} (≥ ${MIN_NODE_MAJOR})`)
    : row(
        "node-version",
        "node",
        "fail",
        `Node.js ${version} is older than ${MIN_NODE_MAJOR}`,
        `install Node.js ${MIN_NODE_MAJOR} or later (see docs/install.md) and run connect-ops with it`,
      );
}

const octal = (mode: number) => `0${(mode & 0o777).toString(8)}`;

/** Exists, is what it should be, owned by the caller, not readable or writable by anyone else. */
async function modeRow(
  check: string,
  path: string,
  kind: "directory" | "file",
  ports: DoctorLocalPorts,
): Promise<DoctorRow | "missing"> {
  let stats;
  try {
    stats = await lstat(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return "missing";
    return failedRow(check, path, error, "check the path and its permissions (--state-dir, CONNECT_OPS_STATE_DIR)");
  }
  const want = kind === "directory" ? 0o700 : 0o600;
  if (stats.isSymbolicLink())
    return row(check, path, "fail", "it is a symbolic link", `point --state-dir at the real ${kind}`);
  if (kind === "directory" ? !stats.isDirectory() : !stats.isFile())
    return row(
      check,
      path,
      "fail",
      `it is not a ${kind}`,
      "point --state-dir at the state dir `connect-ops init` made",
    );
  if (ports.uid !== undefined && stats.uid !== ports.uid)
    return row(
      check,
      path,
      "fail",
      `owned by uid ${stats.uid}, not by you (uid ${ports.uid})`,
      `run connect-ops as its owner, or \`chown ${ports.uid} ${path}\` after checking who made it`,
    );
  if ((stats.mode & 0o077) !== 0)
    return row(
      check,
      path,
      "fail",
      `mode ${octal(stats.mode)}: others can reach it (want ${octal(want)})`,
      `run \`chmod ${octal(want).slice(1)} ${path}\` and check nothing was planted in it`,
    );
  return row(check, path, "pass", `${kind}, mode ${octal(stats.mode)}, owned by you`);
}

/** Node version, state dir, identity, vault meta, config: the rows and the meta the cloud checks go on with. */
export async function localRows(ports: DoctorLocalPorts): Promise<{ rows: DoctorRow[]; meta: VaultMeta | undefined }> {
  const rows: DoctorRow[] = [nodeVersionRow(ports.nodeVersion)];
  const init = "run `connect-ops init` (or pass the right --state-dir / CONNECT_OPS_STATE_DIR)";
  const dir = await modeRow("state-dir", ports.stateDir, "directory", ports);
  let meta: VaultMeta | undefined;
  if (dir === "missing") {
    rows.push(row("state-dir", ports.stateDir, "fail", "it does not exist", init));
    rows.push(row("identity", join(ports.stateDir, IDENTITY_FILE), "skip", "no state dir", init));
  } else {
    rows.push(dir);
    const identityPath = join(ports.stateDir, IDENTITY_FILE);
    const identity = await modeRow("identity", identityPath, "file", ports);
    if (identity === "missing") rows.push(row("identity", identityPath, "fail", "it does not exist", init));
    else if (identity.status !== "pass") rows.push(identity);
    else {
      try {
        const count = await ports.parseIdentity(identityPath);
        rows.push(row("identity", identityPath, "pass", `${identity.detail}; ${count} age identity(ies) parse`));
      } catch (error) {
        rows.push(
          failedRow("identity", identityPath, error, "restore the identity file from its escrow (docs/vault.md)"),
        );
      }
    }
    const vaultPath = join(ports.stateDir, "vault");
    try {
      meta = await ports.readMeta();
      rows.push(
        row(
          "vault",
          vaultPath,
          "pass",
          meta === undefined
            ? "nothing sealed (not connected)"
            : `generation ${meta.generation}, meta.json matches credentials.age`,
        ),
      );
    } catch (error) {
      rows.push(failedRow("vault", vaultPath, error, "see docs/vault.md (restore with `connect-ops backup restore`)"));
    }
  }
  try {
    await ports.readConfig();
    rows.push(row("config", ports.configPath, "pass", "valid"));
  } catch (error) {
    rows.push(failedRow("config", ports.configPath, error, "fix the file (docs/reference/config-and-inventory.md)"));
  }
  return { rows, meta };
}
