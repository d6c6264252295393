import { createShellTransport } from "./shell-transport.js";
import { createTempDirNode } from "./test-support/local-contract-node.js";
import { createProcessShell } from "./test-support/process-shell.js";
import { describeIdentityContract } from "./test-support/identity-contract.js";
import { describeTransportContract } from "./test-support/transport-contract.js";
import { describeLockContract } from "./test-support/lock-contract.js";
import { describe, expect, it } from "vitest";
import { pushToNode } from "./push-to-node.js";
import type { RemoteShell } from "./remote-shell.js";
import { makePayload } from "./test-support/payloads.js";

// The ssh driver's scripts and parsers, run against this machine's sh: the
// integration suite runs the same contract over real sshd in containers.
describeTransportContract("shell (ssh scripts over local sh)", (dirName) =>
  createTempDirNode(dirName, (dir) => createShellTransport("n1", dir, createProcessShell())),
);
describeIdentityContract("shell (ssh scripts over local sh)", (dirName) =>
  createTempDirNode(dirName, (dir) => createShellTransport("n1", dir, createProcessShell())),
);
describeLockContract("shell (ssh scripts over local sh)", async (dirName) => {
  const node = await createTempDirNode(dirName, (dir) => createShellTransport("n1", dir, createProcessShell()));
  return {
    ...node,
    openLocked: (holder, waitMs) =>
      Promise.resolve(createShellTransport("n1", node.dir, createProcessShell(), { holder, waitMs })),
  };
});

/** The process shell, counting the scripts it runs (one exec channel each over ssh). */
function countingShell(): RemoteShell & { readonly runs: () => number } {
  const shell = createProcessShell();
  let runs = 0;
  return {
    run: (script, stdin, signal) => (runs++, shell.run(script, stdin, signal)),
    converse: (script, reply, signal) => (runs++, shell.converse(script, reply, signal)),
    runs: () => runs,
    [Symbol.asyncDispose]: () => shell[Symbol.asyncDispose](),
  };
}

describe("shell transport push", () => {
  it("probes, decides and commits in one script run (one exec channel per node and push)", async () => {
    await using node = await createTempDirNode("one run", () => createShellTransport("n1", "", createProcessShell()));
    const shell = countingShell();
    const transport = createShellTransport("n1", node.dir, shell, { holder: "test pid 1", waitMs: 1000 });
    expect((await pushToNode(transport, makePayload(1), "n1")).status).toBe("updated");
    expect(shell.runs()).toBe(1);
    expect((await pushToNode(transport, makePayload(1), "n1")).status).toBe("unchanged");
    expect(shell.runs()).toBe(2);
    expect((await transport.probe()).metaSha256).toBe(makePayload(1).metaSha256);
  });

  it("a probe the client cannot parse ends the script before anything is written", async () => {
    await using node = await createTempDirNode("bad probe", () => createShellTransport("n1", "", createProcessShell()));
    // A meta.json over the 1 MiB bound: the probe half is refused, the write half never starts.
    await node.sh(`mkdir -p "$D" && head -c 1100000 /dev/zero | tr '\\0' x > "$D/meta.json"`);
    const transport = createShellTransport("n1", node.dir, createProcessShell());
    await expect(pushToNode(transport, makePayload(1), "n1")).rejects.toMatchObject({
      code: "REPL_REMOTE_OUTPUT_INVALID",
    });
    expect((await node.list())?.map((entry) => entry.name)).toEqual(["meta.json"]);
  });
});
