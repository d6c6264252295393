import { stringContaining } from "@connect-ops/test-support";
import { describe, expect, it } from "vitest";
import { createLocalTransport } from "./local-transport.js";
import { NODE_IDENTITY_FILE } from "./node-identity.js";
import { makePayload } from "./test-support/payloads.js";
import { createTempDirNode } from "./test-support/local-contract-node.js";
import { describeIdentityContract } from "./test-support/identity-contract.js";
import { describeIdentityDestroyContract } from "./test-support/identity-destroy-contract.js";
import { describeTransportContract } from "./test-support/transport-contract.js";

describeTransportContract("local", (dirName) => createTempDirNode(dirName, (dir) => createLocalTransport("n1", dir)));
describeIdentityContract("local", (dirName) => createTempDirNode(dirName, (dir) => createLocalTransport("n1", dir)));
describeIdentityDestroyContract("local", (dirName) =>
  createTempDirNode(dirName, (dir) => createLocalTransport("n1", dir)),
);

describe("local transport: a node path whose directory cannot be created", () => {
  it("fails the push at once under /proc (Node's recursive mkdir never returns there), leaving nothing", async () => {
    await using transport = createLocalTransport("ghes-bad", "/proc/nonexistent/connect-ops");
    await expect(transport.commit(makePayload(2), { sealedSha256: null, metaSha256: null })).rejects.toMatchObject({
      code: "REPL_REMOTE_WRITE_FAILED",
      message: stringContaining("ENOENT"),
    });
    await expect(transport.writeIdentity(new Uint8Array(8))).rejects.toMatchObject({
      code: "REPL_REMOTE_WRITE_FAILED",
    });
  });
});

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

describe("local transport: node identity after a killed destroy", () => {
  it("finishes the copy an earlier release's killed destroy left under its second aside name", async () => {
    await using node = await createTempDirNode("n1", (dir) => createLocalTransport("n1", dir));
    const older = `..${NODE_IDENTITY_FILE}.shredding.destroying`;
    await node.sh(`mkdir -p "$D" && chmod 700 "$D" && printf 'AGE-SECRET-KEY-1LEFT' > "$D/${older}"`);
    await using transport = await node.open();
    expect(await transport.destroyIdentity("0".repeat(64))).toEqual({ result: "destroyed", bytes: 20 });
    expect(await node.list()).toEqual([]);
  });
});
