import { describe, expect, it } from "vitest";
import { sha256Hex } from "../payload.js";
import { pushToNode } from "../push-to-node.js";
import type { NodeTransport } from "../transport.js";
import { makeInconsistentPayload, makePayload } from "./payloads.js";

export interface ContractNode extends AsyncDisposable {
  open(): Promise<NodeTransport>;
  /** Names and modes (e.g. 0o600) of the entries of the node's target dir; undefined when it does not exist. */
  list(): Promise<{ name: string; mode: number }[] | undefined>;
  readonly dirMode: () => Promise<number | undefined>;
}

/**
 * The driver contract (unstorage's testDriver pattern): the same behaviours
 * for `local` and `ssh`. `createNode` gets a dir name with spaces, a quote
 * and shell syntax, so path quoting is always exercised.
 */
export function describeTransportContract(driver: string, createNode: (dirName: string) => Promise<ContractNode>): void {
  const dirName = "github-connect it's $(not run) `x`";

  describe(`${driver} transport contract`, () => {
    it("probes an empty node without creating anything", async () => {
      await using node = await createNode(dirName);
      await using transport = await node.open();
      const state = await transport.probe();
      expect(state).toEqual({ directoryExists: false, sealedSha256: null, metaSha256: null, meta: null, metaInvalid: false, tempFiles: 0 });
      expect(await node.list()).toBeUndefined();
    });

    it("pushes to an empty node: 0700 dir, 0600 files, no temp files, hashes read back", async () => {
      await using node = await createNode(dirName);
      await using transport = await node.open();
      const payload = makePayload(1);
      expect(await pushToNode(transport, payload, "n1")).toEqual({ status: "updated", generationBefore: null, generationAfter: 1 });
      const state = await transport.probe();
      expect(state.sealedSha256).toBe(payload.sealedSha256);
      expect(state.metaSha256).toBe(payload.metaSha256);
      expect(state.meta?.generation).toBe(1);
      expect(state.tempFiles).toBe(0);
      expect(await node.dirMode()).toBe(0o700);
      expect(await node.list()).toEqual([
        { name: "credentials.age", mode: 0o600 },
        { name: "meta.json", mode: 0o600 },
      ]);
    });

    it("reports unchanged for the same generation and bytes, without writing", async () => {
      await using node = await createNode(dirName);
      await using transport = await node.open();
      await pushToNode(transport, makePayload(3), "n1");
      expect(await pushToNode(transport, makePayload(3), "n1")).toEqual({ status: "unchanged", generationBefore: 3, generationAfter: 3 });
    });

    it("never overwrites a newer generation", async () => {
      await using node = await createNode(dirName);
      await using transport = await node.open();
      const newer = makePayload(5);
      await pushToNode(transport, newer, "n1");
      expect(await pushToNode(transport, makePayload(4), "n1")).toEqual({ status: "stale", generationBefore: 5, generationAfter: 5 });
      expect((await transport.probe()).sealedSha256).toBe(newer.sealedSha256);
    });

    it("replaces an older generation", async () => {
      await using node = await createNode(dirName);
      await using transport = await node.open();
      await pushToNode(transport, makePayload(1), "n1");
      const next = makePayload(2);
      expect(await pushToNode(transport, next, "n1")).toEqual({ status: "updated", generationBefore: 1, generationAfter: 2 });
      expect((await transport.probe()).metaSha256).toBe(next.metaSha256);
    });

    it("refuses a commit when the node changed since the probe (compare-and-swap)", async () => {
      await using node = await createNode(dirName);
      await using transport = await node.open();
      await pushToNode(transport, makePayload(1), "n1");
      const result = await transport.commit(makePayload(2), { sealedSha256: null, metaSha256: null });
      expect(result).toEqual({ result: "conflict" });
      const state = await transport.probe();
      expect(state.meta?.generation).toBe(1);
      expect(state.tempFiles).toBe(0);
    });

    it("repairs an inconsistent pair of the same generation", async () => {
      await using node = await createNode(dirName);
      await using transport = await node.open();
      const broken = makeInconsistentPayload(7);
      await transport.commit(broken, { sealedSha256: null, metaSha256: null });
      const good = makePayload(7);
      expect((await pushToNode(transport, good, "n1")).status).toBe("updated");
      expect((await transport.probe()).sealedSha256).toBe(good.sealedSha256);
    });

    it("refuses a different consistent pair with the same generation", async () => {
      await using node = await createNode(dirName);
      await using transport = await node.open();
      await pushToNode(transport, makePayload(2, Buffer.from("one")), "n1");
      await expect(pushToNode(transport, makePayload(2, Buffer.from("two")), "n1")).rejects.toMatchObject({
        code: "REPL_GENERATION_CONFLICT",
      });
    });

    it("rewrites a node whose meta.json is not a vault meta", async () => {
      await using node = await createNode(dirName);
      await using transport = await node.open();
      const junk = makePayload(1);
      const metaBytes = Buffer.from("{not json");
      await transport.commit({ ...junk, metaBytes, metaSha256: sha256Hex(metaBytes) }, { sealedSha256: null, metaSha256: null });
      const state = await transport.probe();
      expect(state.metaInvalid).toBe(true);
      expect((await pushToNode(transport, makePayload(1), "n1")).status).toBe("updated");
    });

    it("deletes the credential files and verifies they are gone", async () => {
      await using node = await createNode(dirName);
      await using transport = await node.open();
      await pushToNode(transport, makePayload(1), "n1");
      expect(await transport.remove()).toEqual({ removed: 2, remaining: 0 });
      expect(await transport.remove()).toEqual({ removed: 0, remaining: 0 });
      const state = await transport.probe();
      expect(state.sealedSha256).toBeNull();
      expect(state.metaSha256).toBeNull();
    });

    it("deletes on a node that never had the directory", async () => {
      await using node = await createNode(dirName);
      await using transport = await node.open();
      expect(await transport.remove()).toEqual({ removed: 0, remaining: 0 });
    });
  });
}
