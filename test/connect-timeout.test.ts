import { connectedAppliance, type Appliance } from "@connect-ops/test-support";
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cliSuite } from "./support/cli-suite.js";

// Issue 15, item 3: `--connect-timeout DURATION` on every command that touches nodes (it was fixed at 10 s).
// A node whose port accepts TCP and then says nothing (a frozen sshd, a firewall that swallows packets)
// must fail within the bound the operator gave, named in the error; bad values are usage errors.

const suite = cliSuite({ prefix: "e2e-connect-timeout-" });
const sockets: Socket[] = [];
let silent: Server;
let appliance: Appliance;
let inventory: string;

beforeAll(async () => {
  silent = createServer((socket) => sockets.push(socket)); // accepts, never sends an SSH banner
  await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
  const address = silent.address();
  if (address === null || typeof address === "string") throw new Error("no port");
  appliance = await connectedAppliance({
    cloud: suite.sim,
    dir: join(suite.scratch, "appliance"),
    connectOps: suite.connectOps,
  });
  const key = join(suite.scratch, "id_ed25519");
  execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", key]);
  writeFileSync(join(suite.scratch, "known_hosts"), "");
  inventory = join(suite.scratch, "frozen.json");
  writeFileSync(
    inventory,
    JSON.stringify({
      ssh: { identityFile: key, knownHostsFile: join(suite.scratch, "known_hosts") },
      nodes: [{ name: "frozen-replica", role: "replica", transport: "ssh", host: "127.0.0.1", port: address.port }],
    }),
  );
});

afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise<void>((resolve) => silent.close(() => resolve()));
});

describe("--connect-timeout", () => {
  it("bounds the connection to a node that accepts TCP and never answers, and the error names the bound", async () => {
    const run = await suite.connectOps(
      ["--json", "status", "--offline", "--inventory", inventory, "--connect-timeout", "1s"],
      appliance.env,
    );
    expect(run.code, run.stderr).toBe(3);
    expect(`${run.stdout}\n${run.stderr}`).toContain("within 1000 ms");
  });

  it.each([
    ["status", "--offline"],
    ["replicate", "--dry-run"],
    ["disconnect", "--yes"],
  ])("%s refuses a bad value before touching anything (exit 2, CLI_USAGE)", async (command, extra) => {
    for (const value of ["0s", "abc", "11m"]) {
      const run = await suite.connectOps(
        ["--json", command, extra, "--inventory", inventory, "--connect-timeout", value],
        appliance.env,
      );
      expect(run.code, `${command} --connect-timeout ${value}: ${run.stderr}`).toBe(2);
      expect(run.stderr).toContain("--connect-timeout must be a duration from 1s to 10m");
    }
  });
});
