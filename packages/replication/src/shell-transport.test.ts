import { createShellTransport } from "./shell-transport.js";
import { createTempDirNode } from "./test-support/local-contract-node.js";
import { createProcessShell } from "./test-support/process-shell.js";
import { describeIdentityContract } from "./test-support/identity-contract.js";
import { describeTransportContract } from "./test-support/transport-contract.js";
import { describeLockContract } from "./test-support/lock-contract.js";

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
