import { createLocalTransport } from "./local-transport.js";
import { createTempDirNode } from "./test-support/local-contract-node.js";
import { describeTransportContract } from "./test-support/transport-contract.js";

describeTransportContract("local", (dirName) => createTempDirNode(dirName, (dir) => createLocalTransport("n1", dir)));
