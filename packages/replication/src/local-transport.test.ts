import { describe, expect, it } from "vitest";
import { createLocalTransport } from "./local-transport.js";
import { NODE_IDENTITY_FILE } from "./node-identity.js";
import { createTempDirNode } from "./test-support/local-contract-node.js";
import { describeIdentityContract } from "./test-support/identity-contract.js";
import { describeTransportContract } from "./test-support/transport-contract.js";

describeTransportContract("local", (dirName) => createTempDirNode(dirName, (dir) => createLocalTransport("n1", dir)));
describeIdentityContract("local", (dirName) => createTempDirNode(dirName, (dir) => createLocalTransport("n1", dir)));

describe("local transport: node identity after a killed write", () => {
  it("writing the identity removes the temp a killed identity write left (it holds an identity nobody records)", async () => {
    await using node = await createTempDirNode("n1", (dir) => createLocalTransport("n1", dir));
    await node.sh(
      `mkdir -p "$D" && chmod 700 "$D" && printf 'AGE-SECRET-KEY-1STALE' > "$D/.${NODE_IDENTITY_FILE}.tmp-0123456789ab"`,
    );
    await using transport = await node.open();
    await transport.writeIdentity(Buffer.from("AGE-SECRET-KEY-1FRESH\n"));
    expect(await node.list()).toEqual([{ name: NODE_IDENTITY_FILE, mode: 0o600 }]);
  });
});
