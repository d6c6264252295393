import { describe, expect, it } from "vitest";
import { sha256Hex } from "../payload.js";
import { pushToNode } from "../push-to-node.js";
import { NODE_IDENTITY_FILE } from "../node-identity.js";
import { makePayload } from "./payloads.js";
import type { ContractNode } from "./transport-contract.js";

const IDENTITY = Buffer.from(
  `# created: 2026-11-01T09:00:00Z\n# public key: age1example\nAGE-SECRET-KEY-1${"Q".repeat(58)}\n`,
);

/** The node-identity part of the driver contract (`node enroll`, failover-check, `--rehearse`), for every driver. */
export function describeIdentityContract(driver: string, createNode: (dirName: string) => Promise<ContractNode>): void {
  const dirName = "github-connect it's $(not run) `x`";

  describe(`${driver} transport contract: node identity`, () => {
    it("reports no identity on an empty node, and writes nothing when asked", async () => {
      await using node = await createNode(dirName);
      await using transport = await node.open();
      expect(await transport.identityDigest()).toBeNull();
      expect(await transport.readForRehearsal()).toEqual({ identity: null, sealed: null });
      expect(await node.list()).toBeUndefined();
    });

    it("writes the identity 0600 in a 0700 dir, no temp left, and returns the SHA-256 the node reads back", async () => {
      await using node = await createNode(dirName);
      await using transport = await node.open();
      expect(await transport.writeIdentity(Buffer.from(IDENTITY))).toBe(sha256Hex(IDENTITY));
      expect(await node.list()).toEqual([{ name: NODE_IDENTITY_FILE, mode: 0o600 }]);
      expect(await node.dirMode()).toBe(0o700);
      expect(await transport.identityDigest()).toBe(sha256Hex(IDENTITY));
    });

    it("replaces an identity whole, and a push or sweep leaves it alone", async () => {
      await using node = await createNode(dirName);
      await using transport = await node.open();
      await transport.writeIdentity(Buffer.from("old identity\n"));
      await transport.writeIdentity(Buffer.from(IDENTITY));
      const payload = makePayload(1);
      await pushToNode(transport, payload, "n1");
      expect(await transport.sweepTemps()).toBe(0);
      expect(await transport.identityDigest()).toBe(sha256Hex(IDENTITY));
      const read = await transport.readForRehearsal();
      expect(read.identity?.equals(IDENTITY)).toBe(true);
      expect(read.sealed?.equals(Buffer.from(payload.sealed))).toBe(true);
    });

    it("a killed identity write leaves a temp that the next sweep removes", async () => {
      await using node = await createNode(dirName);
      await node.sh(
        `mkdir -p "$D" && chmod 700 "$D" && printf 'AGE-SECRET' > "$D/.${NODE_IDENTITY_FILE}.tmp-0123456789ab"`,
      );
      await using transport = await node.open();
      expect(await transport.identityDigest()).toBeNull();
      expect(await transport.sweepTemps()).toBe(1);
      expect(await node.list()).toEqual([]);
    });

    it("refuses a target dir that is a symbolic link", async () => {
      await using node = await createNode(dirName);
      await node.sh(`mkdir -p "$D.real" && ln -s "$D.real" "$D"`);
      await using transport = await node.open();
      await expect(transport.writeIdentity(Buffer.from(IDENTITY))).rejects.toMatchObject({
        code: "REPL_NODE_DIR_UNSAFE",
      });
      await expect(transport.identityDigest()).rejects.toMatchObject({ code: "REPL_NODE_DIR_UNSAFE" });
      await node.sh(`rm -f "$D" && rm -rf "$D.real"`);
    });
  });
}
