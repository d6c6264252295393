import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { freeLoopbackPort } from "./node-container.js";

export interface TinyproxyOptions {
  /** Where the config, filter and log files go (a test dir). */
  readonly dir: string;
  /** Hosts the proxy lets through (`FilterDefaultDeny Yes`); undefined: every host. */
  readonly allowHosts?: readonly string[];
  /** `BasicAuth USER PASSWORD`: requests without these credentials get 407. */
  readonly auth?: { readonly user: string; readonly password: string };
}

/** A real tinyproxy (Debian's) on 127.0.0.1: HTTP and CONNECT, logging every request at level Connect. */
export interface Tinyproxy extends AsyncDisposable {
  /** `http://127.0.0.1:PORT`, with `USER:PASSWORD@` when `auth` is set. */
  readonly url: string;
  readonly port: number;
  /** The log file's text so far. */
  log(): string;
  /** The `host:port` of every CONNECT the proxy was asked for. */
  connects(): string[];
  close(): Promise<void>;
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

async function listening(port: number, child: ChildProcess): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt += 1) {
    if (child.exitCode !== null) throw new Error(`tinyproxy exited with ${String(child.exitCode)}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, "127.0.0.1");
      socket.once("connect", () => {
        socket.destroy();
        resolve(true);
      });
      socket.once("error", () => resolve(false));
    });
    if (open) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`tinyproxy did not listen on 127.0.0.1:${port}`);
}

/** Starts tinyproxy in the foreground with a config written to `dir`; `close` stops it (SIGTERM). */
export async function startTinyproxy(options: TinyproxyOptions): Promise<Tinyproxy> {
  const port = await freeLoopbackPort();
  const logFile = join(options.dir, "tinyproxy.log");
  const lines = [`Port ${port}`, "Listen 127.0.0.1", "Timeout 30", `LogFile "${logFile}"`, "LogLevel Connect"];
  lines.push("MaxClients 20");
  if (options.allowHosts !== undefined) {
    const filter = join(options.dir, "tinyproxy.filter");
    writeFileSync(filter, options.allowHosts.map((host) => `^${escapeRegex(host)}$\n`).join("") || "^$\n");
    lines.push(`Filter "${filter}"`, "FilterDefaultDeny Yes");
  }
  if (options.auth !== undefined) lines.push(`BasicAuth ${options.auth.user} ${options.auth.password}`);
  const config = join(options.dir, "tinyproxy.conf");
  writeFileSync(config, `${lines.join("\n")}\n`);
  writeFileSync(logFile, "");
  const child = spawn("tinyproxy", ["-d", "-c", config], { stdio: "ignore" });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  try {
    await listening(port, child);
  } catch (error) {
    child.kill("SIGKILL");
    throw error;
  }
  const credentials =
    options.auth === undefined
      ? ""
      : `${encodeURIComponent(options.auth.user)}:${encodeURIComponent(options.auth.password)}@`;
  const log = () => readFileSync(logFile, "utf8");
  const close = async () => {
    if (child.exitCode === null) child.kill("SIGTERM");
    await exited;
  };
  return {
    url: `http://${credentials}127.0.0.1:${port}`,
    port,
    log,
    connects: () => [...log().matchAll(/: CONNECT (\S+) HTTP\//g)].map((match) => match[1] as string),
    close,
    [Symbol.asyncDispose]: close,
  };
}
