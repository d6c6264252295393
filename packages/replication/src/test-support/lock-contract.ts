import { describe, expect, it } from "vitest";
import { ReplicationError } from "../errors.js";
import { NODE_LOCK_DIR } from "../node-lock.js";
import { pushToNode } from "../push-to-node.js";
import type { NodeTransport } from "../transport.js";
import type { ContractNode } from "./transport-contract.js";
import { makePayload } from "./payloads.js";

/** A contract node whose transports commit under the node-side lock, held as `holder`, waiting `waitMs`. */
export interface LockContractNode extends ContractNode {
  openLocked(holder: string, waitMs: number): Promise<NodeTransport>;
}

const plantLock = (epoch: string): string =>
  `mkdir -p "$D/${NODE_LOCK_DIR}" && printf '%s other-host pid 4242\\n' ${epoch} > "$D/${NODE_LOCK_DIR}/owner"`;

/** The node-side lock of the ssh scripts: waits, names the holder, breaks stale locks, never lets two commits mix. */
export function describeLockContract(driver: string, createNode: (dirName: string) => Promise<LockContractNode>): void {
  describe(`${driver} node-side lock`, () => {
    it("a commit while another run holds the lock waits, then fails REPL_NODE_LOCKED naming the holder; nothing written", async () => {
      await using node = await createNode("locked dir");
      await node.sh(plantLock('"$(date +%s)"'));
      await using transport = await node.openLocked("this-host pid 1", 300);
      const error = await pushToNode(transport, makePayload(1), "n1").catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(ReplicationError);
      expect((error as ReplicationError).code).toBe("REPL_NODE_LOCKED");
      expect((error as ReplicationError).message).toContain("other-host pid 4242");
      expect((error as ReplicationError).hint).toContain("other-host pid 4242");
      expect((await node.list())?.map((entry) => entry.name)).toEqual([NODE_LOCK_DIR]);
    });

    it("a stale lock (a killed run's) is broken and the commit goes ahead; the lock is released after it", async () => {
      await using node = await createNode("stale dir");
      await node.sh(plantLock("1000"));
      await using transport = await node.openLocked("this-host pid 1", 300);
      const payload = makePayload(2);
      expect((await pushToNode(transport, payload, "n1")).status).toBe("updated");
      expect((await node.list())?.map((entry) => entry.name)).toEqual(["credentials.age", "meta.json"]);
    });

    it("two runs committing at once serialise: the node ends with one complete pair, never a mix", async () => {
      await using node = await createNode("race dir");
      for (let round = 0; round < 6; round++) {
        const first = makePayload(10 + round * 2);
        const second = makePayload(10 + round * 2, Buffer.from(`other primary ${round}`));
        await using a = await node.openLocked("primary-a pid 1", 10_000);
        await using b = await node.openLocked("primary-b pid 2", 10_000);
        // The same generation from two primaries: one commits, the other then sees a conflict (or commits first).
        const outcomes = await Promise.allSettled([
          a.commit(first, { sealedSha256: null, metaSha256: null }),
          b.commit(second, { sealedSha256: null, metaSha256: null }),
        ]);
        const committed = outcomes.filter(
          (outcome) => outcome.status === "fulfilled" && outcome.value.result === "committed",
        );
        const state = await a.probe();
        expect(state.meta?.sealedSha256).toBe(state.sealedSha256);
        expect([first.metaSha256, second.metaSha256]).toContain(state.metaSha256);
        if (round === 0) expect(committed).toHaveLength(1);
        await node.sh(`rm -f "$D/credentials.age" "$D/meta.json"`);
      }
    });

    it("two whole pushes at once (probe, decide, commit) serialise: the newer generation wins, whole", async () => {
      await using node = await createNode("push race dir");
      for (let round = 0; round < 4; round++) {
        const older = makePayload(20 + round * 2);
        const newer = makePayload(21 + round * 2);
        await using a = await node.openLocked("primary-a pid 1", 10_000);
        await using b = await node.openLocked("primary-b pid 2", 10_000);
        const outcomes = await Promise.all([pushToNode(a, older, "n1"), pushToNode(b, newer, "n1")]);
        // Whichever order the lock gave: the node ends on the newer pair, and the older push never overwrote it.
        expect(outcomes[1].status).toBe("updated");
        expect(["updated", "stale"]).toContain(outcomes[0].status);
        const state = await a.probe();
        expect(state.metaSha256).toBe(newer.metaSha256);
        expect(state.sealedSha256).toBe(newer.sealedSha256);
        expect(state.tempFiles).toBe(0);
      }
    });
  });
}
