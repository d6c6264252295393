import { describe, expect, it } from "vitest";
import { sha256Hex } from "../payload.js";
import { NODE_IDENTITY_FILE } from "../node-identity.js";
import { NODE_IDENTITY_ASIDE } from "../node-identity-destroy.js";
import { makePayload } from "./payloads.js";
import { pushToNode } from "../push-to-node.js";
import type { ContractNode } from "./transport-contract.js";

const IDENTITY = Buffer.from(
  `# created: 2026-11-01T09:00:00Z\n# public key: age1example\nAGE-SECRET-KEY-1${"Z".repeat(58)}\n`,
);
const OTHER = Buffer.from(`AGE-SECRET-KEY-1${"W".repeat(58)}\n`);

/** `shred`'s part of the driver contract: destroying a node's own identity, for every driver. */
export function describeIdentityDestroyContract(
  driver: string,
  createNode: (dirName: string) => Promise<ContractNode>,
): void {
  const dirName = "github-connect it's $(not run) `x`";

  describe(`${driver} transport contract: node identity destroy`, () => {
    it("destroys the recorded identity (its length in bytes), leaves the vault copy, and a second destroy says absent", async () => {
      await using node = await createNode(dirName);
      await using transport = await node.open();
      await transport.writeIdentity(Buffer.from(IDENTITY));
      await pushToNode(transport, makePayload(1), "n1");
      expect(await transport.destroyIdentity(sha256Hex(IDENTITY))).toEqual({
        result: "destroyed",
        bytes: IDENTITY.length,
      });
      expect(await transport.identityDigest()).toBeNull();
      expect((await node.list())?.map((entry) => entry.name)).toEqual(["credentials.age", "meta.json"]);
      expect(await transport.destroyIdentity(sha256Hex(IDENTITY))).toEqual({ result: "absent" });
    });

    it("leaves another file at the identity's place alone and names its SHA-256", async () => {
      await using node = await createNode(dirName);
      await using transport = await node.open();
      await transport.writeIdentity(Buffer.from(OTHER));
      expect(await transport.destroyIdentity(sha256Hex(IDENTITY))).toEqual({
        result: "not-ours",
        detail: sha256Hex(OTHER),
      });
      expect(await transport.identityDigest()).toBe(sha256Hex(OTHER));
    });

    it("says absent for a node with no dir at all, and creates nothing", async () => {
      await using node = await createNode(dirName);
      await using transport = await node.open();
      expect(await transport.destroyIdentity(sha256Hex(IDENTITY))).toEqual({ result: "absent" });
      expect(await node.list()).toBeUndefined();
    });

    it("finishes a destroy killed after the rename aside: the aside copy is wiped and unlinked", async () => {
      await using node = await createNode(dirName);
      await node.sh(
        `mkdir -p "$D" && chmod 700 "$D" && printf 'AGE-SECRET-KEY-1PARTIAL' > "$D/${NODE_IDENTITY_ASIDE}"`,
      );
      await using transport = await node.open();
      expect(await transport.destroyIdentity(sha256Hex(IDENTITY))).toEqual({ result: "destroyed", bytes: 23 });
      expect(await node.list()).toEqual([]);
    });

    it("never follows a symbolic link at the identity's place", async () => {
      await using node = await createNode(dirName);
      await node.sh(
        `mkdir -p "$D" && chmod 700 "$D" && printf 'keep' > "$D/target" && ln -s target "$D/${NODE_IDENTITY_FILE}"`,
      );
      await using transport = await node.open();
      expect(await transport.destroyIdentity(sha256Hex(Buffer.from("keep")))).toEqual({
        result: "not-ours",
        detail: "link",
      });
      expect((await node.list())?.map((entry) => entry.name)).toEqual([NODE_IDENTITY_FILE, "target"]);
    });

    it("refuses a target dir that is a symbolic link", async () => {
      await using node = await createNode(dirName);
      await node.sh(`mkdir -p "$D.real" && ln -s "$D.real" "$D"`);
      await using transport = await node.open();
      await expect(transport.destroyIdentity(sha256Hex(IDENTITY))).rejects.toMatchObject({
        code: "REPL_NODE_DIR_UNSAFE",
      });
      await node.sh(`rm -f "$D" && rm -rf "$D.real"`);
    });
  });
}
