import { connectedAppliance, type Appliance } from "@connect-ops/test-support";
import { execFileSync, spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cliSuite } from "./support/cli-suite.js";

// Issue 16, item 5: `replicate` on a real terminal (tmux), at the default log level, with one node that fails
// at once and one that hangs: while it runs the screen holds the live progress line (naming the failure), never a
// JSON log line; at the end the live line is gone and each failure is reported once, in the result.

const hasTmux = spawnSync("tmux", ["-V"]).status === 0;
const suite = cliSuite({ prefix: "e2e-tmux-" });
const socketName = `connect-ops-test-${String(process.pid)}`;
const sockets: Socket[] = [];
let silent: Server;
let appliance: Appliance;

const tmux = (...args: string[]) => execFileSync("tmux", ["-L", socketName, ...args], { encoding: "utf8" });
const screen = () => tmux("capture-pane", "-p", "-t", "run");

async function screenShowing(pattern: RegExp, what: string): Promise<string> {
  let shown = "";
  for (let waited = 0; waited < 60_000; waited += 100) {
    shown = screen();
    if (pattern.test(shown)) return shown;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`the terminal never showed ${what}; it shows:\n${shown}`);
}

beforeAll(async () => {
  if (!hasTmux) return;
  silent = createServer((socket) => sockets.push(socket)); // accepts TCP, never sends an SSH banner
  await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
  appliance = await connectedAppliance({
    cloud: suite.sim,
    dir: join(suite.scratch, "appliance"),
    connectOps: suite.connectOps,
  });
});

afterAll(async () => {
  if (!hasTmux) return;
  spawnSync("tmux", ["-L", socketName, "kill-server"]);
  for (const socket of sockets) socket.destroy();
  await new Promise<void>((resolve) => silent.close(() => resolve()));
});

describe.skipIf(!hasTmux)("replicate on a terminal (tmux), default log level", () => {
  it("shows the live line and no JSON while running; afterwards the line is erased and each failure said once", async () => {
    const address = silent.address();
    if (address === null || typeof address === "string") throw new Error("no port");
    const key = join(suite.scratch, "id_ed25519");
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", key]);
    writeFileSync(join(suite.scratch, "known_hosts"), "");
    const inventory = join(suite.scratch, "tty-inventory.json");
    writeFileSync(
      inventory,
      JSON.stringify({
        ssh: { identityFile: key, knownHostsFile: join(suite.scratch, "known_hosts") },
        nodes: [
          { name: "ghes-good", role: "cluster", transport: "local", path: join(suite.scratch, "good-node") },
          // mkdir answers ENOENT at every level under /proc: an immediate failure.
          { name: "ghes-bad", role: "cluster", transport: "local", path: "/proc/nonexistent/connect-ops" },
          { name: "ghes-frozen", role: "replica", transport: "ssh", host: "127.0.0.1", port: address.port },
        ],
      }),
    );
    const script = join(suite.scratch, "run.sh");
    const quote = (text: string) => `'${text.replaceAll("'", "'\\''")}'`;
    writeFileSync(
      script,
      [
        `export CONNECT_OPS_STATE_DIR=${quote(appliance.stateDir)}`,
        "unset NO_COLOR CONNECT_OPS_LOG_LEVEL",
        `${quote(process.execPath)} ${quote(suite.cli.bin)} replicate --inventory ${quote(inventory)} --connect-timeout 4s`,
        'echo "EXIT=$?"',
        "sleep 120",
      ].join("\n"),
    );
    tmux("new-session", "-d", "-x", "200", "-y", "50", "-s", "run", `bash ${quote(script)}`);

    // The good node may finish before or after the bad one fails (local fsyncs on a loaded machine):
    // wait for the line once both are done, while the frozen node holds the run for its 4 s timeout.
    const running = await screenShowing(
      /replicating 2\/3 · failed: ghes-bad · waiting for ghes-frozen/u,
      "the live line naming the failed node and the one still waited for",
    );
    expect(running).toMatch(/replicating 2\/3 · failed: ghes-bad · waiting for ghes-frozen/u);
    expect(running).not.toContain("{");
    expect(running).not.toContain("error[");

    const done = await screenShowing(/EXIT=\d+/u, "the end of the run");
    expect(done).toContain("EXIT=3");
    expect(done).not.toContain('{"level"');
    expect(done).not.toContain("replicating");
    expect(done).toMatch(/^ghes-good\s+cluster\s+updated/mu);
    for (const node of ["ghes-bad", "ghes-frozen"]) {
      expect(done.match(new RegExp(`^\\s*${node}: error\\[`, "gmu"))?.length, `${node} said once:\n${done}`).toBe(1);
      expect(done.match(new RegExp(`^${node}\\s`, "gmu"))?.length, `${node}'s row once:\n${done}`).toBe(1);
    }
  });
});
