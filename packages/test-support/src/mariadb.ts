import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const SERVER = "/usr/sbin/mariadbd";
const INSTALL = "/usr/bin/mariadb-install-db";
const CLIENT = "/usr/bin/mysql";
const DUMP = "/usr/bin/mysqldump";
const MAX_BUFFER = 256 * 1024 * 1024;

/** True when Debian's MariaDB server and clients are installed (`mariadb-server`, `mariadb-client`). */
export function mariaDbAvailable(): boolean {
  return [SERVER, INSTALL, CLIENT, DUMP].every((path) => existsSync(path));
}

/**
 * A throwaway MariaDB server (Debian's `mariadbd`) on a Unix socket in a temp
 * dir, no TCP port, `root` without a password over the socket. Run as root,
 * the server is told `--user=root` (it refuses otherwise). `close` stops it
 * and removes the dir.
 */
export interface MariaDb extends AsyncDisposable {
  readonly socket: string;
  /** Runs SQL through the real `mysql` client (stdin), optionally in `database`; its stdout. */
  sql(input: string | Buffer, database?: string): string;
  /** A real `mysqldump` of `database` with `args` (`--hex-blob`, …). */
  dump(database: string, args?: readonly string[]): Buffer;
  close(): Promise<void>;
}

function clientArgs(socket: string): string[] {
  return ["--no-defaults", `--socket=${socket}`, "--user=root"];
}

async function ready(socket: string, child: ChildProcess, log: string): Promise<void> {
  for (let attempt = 0; attempt < 600; attempt += 1) {
    if (child.exitCode !== null) throw new Error(`mariadbd exited with ${String(child.exitCode)} (see ${log})`);
    try {
      execFileSync(CLIENT, [...clientArgs(socket), "-e", "SELECT 1"], { stdio: "ignore" });
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  throw new Error(`mariadbd did not accept connections on ${socket} (see ${log})`);
}

export async function startMariaDb(): Promise<MariaDb> {
  const dir = mkdtempSync(join(tmpdir(), "connect-ops-mariadb-"));
  const data = join(dir, "data");
  const socket = join(dir, "mysqld.sock");
  const log = join(dir, "error.log");
  const asRoot = process.getuid?.() === 0 ? ["--user=root"] : [];
  try {
    execFileSync(
      INSTALL,
      [
        "--no-defaults",
        `--datadir=${data}`,
        ...asRoot,
        "--auth-root-authentication-method=socket",
        "--skip-test-db",
        "--skip-name-resolve",
      ],
      { stdio: "ignore" },
    );
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  const child = spawn(
    SERVER,
    [
      "--no-defaults",
      `--datadir=${data}`,
      `--socket=${socket}`,
      `--pid-file=${join(dir, "mysqld.pid")}`,
      `--log-error=${log}`,
      "--skip-networking",
      "--skip-name-resolve",
      "--innodb-buffer-pool-size=16M",
      "--innodb-flush-log-at-trx-commit=0",
      ...asRoot,
    ],
    { stdio: "ignore" },
  );
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const close = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await ready(socket, child, log);
  } catch (error) {
    await close();
    throw error;
  }
  return {
    socket,
    sql: (input, database) => {
      try {
        return execFileSync(CLIENT, [...clientArgs(socket), ...(database === undefined ? [] : [database])], {
          input,
          maxBuffer: MAX_BUFFER,
          stdio: ["pipe", "pipe", "pipe"],
        }).toString();
      } catch (error) {
        // Only the client's ERROR lines: it echoes the failing statement, which may hold test secrets.
        const raw = (error as { stderr?: Buffer | string }).stderr;
        const stderr = raw === undefined ? "" : raw.toString();
        const lines = stderr.split("\n").filter((line) => line.startsWith("ERROR"));
        throw new Error(`mysql failed: ${lines.join("; ").slice(0, 500) || "no ERROR line"}`);
      }
    },
    dump: (database, args = []) =>
      execFileSync(DUMP, [...clientArgs(socket), ...args, database], { maxBuffer: MAX_BUFFER }),
    close,
    [Symbol.asyncDispose]: close,
  };
}
