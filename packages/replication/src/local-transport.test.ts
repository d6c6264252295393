import { createLocalTransport } from "./local-transport.js";
import { createTempDirNode } from "./test-support/local-contract-node.js";
import { describeIdentityContract } from "./test-support/identity-contract.js";
import { describeIdentityDestroyContract } from "./test-support/identity-destroy-contract.js";
import { describeTransportContract } from "./test-support/transport-contract.js";

describeTransportContract("local", (dirName) => createTempDirNode(dirName, (dir) => createLocalTransport("n1", dir)));
describeIdentityContract("local", (dirName) => createTempDirNode(dirName, (dir) => createLocalTransport("n1", dir)));
describeIdentityDestroyContract("local", (dirName) =>
  createTempDirNode(dirName, (dir) => createLocalTransport("n1", dir)),
);
