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
  /** Runs a POSIX sh script on the node with `$D` set to the target dir (to plant crash leftovers by hand). */
  sh(script: string): Promise<void>;
}

/** What a push killed after staging leaves: our two temps (the second one half-written). */
const PLANT_KILLED_PUSH = `mkdir -p "$D" && chmod 700 "$D" && printf 'partial' > "$D/.credentials.age.tmp-0123456789ab" && printf '{' > "$D/.meta.json.tmp-0123456789ab"`;
/** What a push of an earlier release (`.connect-ops-<id>.NAME.tmp`) left. */
const PLANT_LEGACY_PUSH = `mkdir -p "$D" && chmod 700 "$D" && printf 'partial' > "$D/.connect-ops-0123456789abcdef.credentials.age.tmp"`;

/**
 * The driver contract (unstorage's testDriver pattern): the same behaviours
 * for `local` and `ssh`. `createNode` gets a dir name with spaces, a quote
 * and shell syntax, so path quoting is always exercised.
 */
export function describeTransportContract(
  driver: string,
  createNode: (dirName: string) => Promise<ContractNode>,
): void {
  const dirName = "github-connect it's $(not run) `x`";

  describe(`${driver} transport contract`, () => {
    it("probes an empty node without creating anything", async () => {
      await using node = await createNode(dirName);
      await using transport = await node.open();
      const state = await transport.probe();
      expect(state).toEqual({
        directoryExists: false,
        sealedSha256: null,
        metaSha256: null,
        meta: null,
        metaInvalid: false,
        tempFiles: 0,
        writable: true,
      });
      expect(await node.list()).toBeUndefined();
    });

    it("pushes to an empty node: 0700 dir, 0600 files, no temp files, hashes read back", async () => {
      await using node = await createNode(dirName);
      await using transport = await node.open();
      const payload = makePayload(1);
      expect(await pushToNode(transport, payload, "n1")).toEqual({
        status: "updated",
        generationBefore: null,
        generationAfter: 1,
      });
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
      expect(await pushToNode(transport, makePayload(3), "n1")).toEqual({
        status: "unchanged",
        generationBefore: 3,
        generationAfter: 3,
      });
    });

    it("never overwrites a newer generation", async () => {
      await using node = await createNode(dirName);
      await using transport = await node.open();
      const newer = makePayload(5);
      await pushToNode(transport, newer, "n1");
      expect(await pushToNode(transport, makePayload(4), "n1")).toEqual({
        status: "stale",
        generationBefore: 5,
        generationAfter: 5,
      });
      expect((await transport.probe()).sealedSha256).toBe(newer.sealedSha256);
    });

    it("replaces an older generation", async () => {
      await using node = await createNode(dirName);
      await using transport = await node.open();
      await pushToNode(transport, makePayload(1), "n1");
      const next = makePayload(2);
      expect(await pushToNode(transport, next, "n1")).toEqual({
        status: "updated",
        generationBefore: 1,
        generationAfter: 2,
      });
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
      await transport.commit(
        { ...junk, metaBytes, metaSha256: sha256Hex(metaBytes) },
        { sealedSha256: null, metaSha256: null },
      );
      const state = await transport.probe();
      expect(state.metaInvalid).toBe(true);
      expect((await pushToNode(transport, makePayload(1), "n1")).status).toBe("updated");
    });

    it("a push to a converged node removes a killed push's temp files (ours only)", async () => {
      await using node = await createNode(dirName);
      await using transport = await node.open();
      const payload = makePayload(3);
      await pushToNode(transport, payload, "n1");
      await node.sh(`${PLANT_KILLED_PUSH} && printf 'keep' > "$D/.other.tmp" && mkdir "$D/.dir.tmp-0123456789ab"`);
      expect((await transport.probe()).tempFiles).toBe(3);
      expect(await pushToNode(transport, payload, "n1")).toEqual({
        status: "unchanged",
        generationBefore: 3,
        generationAfter: 3,
      });
      const names = (await node.list())?.map((entry) => entry.name).sort();
      expect(names).toEqual([".dir.tmp-0123456789ab", ".other.tmp", "credentials.age", "meta.json"]);
    });

    it("a push that writes removes a killed push's temp files; so does a push to a stale node", async () => {
      await using node = await createNode(dirName);
      await using transport = await node.open();
      await node.sh(PLANT_KILLED_PUSH);
      expect((await pushToNode(transport, makePayload(2), "n1")).status).toBe("updated");
      expect((await transport.probe()).tempFiles).toBe(0);
      await node.sh(PLANT_LEGACY_PUSH);
      expect((await pushToNode(transport, makePayload(1), "n1")).status).toBe("stale");
      expect((await transport.probe()).tempFiles).toBe(0);
      expect((await node.list())?.map((entry) => entry.name)).toEqual(["credentials.age", "meta.json"]);
    });

    it("a torn pair (killed between the two renames) is reported inconsistent and repaired by the next push", async () => {
      await using node = await createNode(dirName);
      await using transport = await node.open();
      const old = makePayload(4);
      const next = makePayload(5);
      await pushToNode(transport, old, "n1");
      // Killed after renaming credentials.age, before meta.json: new sealed, old meta, the meta temp left.
      await transport.commit(next, { sealedSha256: old.sealedSha256, metaSha256: old.metaSha256 });
      await transport.commit(
        { ...next, metaBytes: old.metaBytes, metaSha256: old.metaSha256 },
        { sealedSha256: next.sealedSha256, metaSha256: next.metaSha256 },
      );
      await node.sh(PLANT_KILLED_PUSH);
      const torn = await transport.probe();
      expect(torn.sealedSha256).toBe(next.sealedSha256);
      expect(torn.meta?.sealedSha256).not.toBe(torn.sealedSha256);
      expect(await pushToNode(transport, next, "n1")).toEqual({
        status: "updated",
        generationBefore: 4,
        generationAfter: 5,
      });
      const repaired = await transport.probe();
      expect(repaired).toMatchObject({ sealedSha256: next.sealedSha256, metaSha256: next.metaSha256, tempFiles: 0 });
      // The other order (new meta, old sealed) is repaired too: same generation, meta does not describe sealed.
      await transport.commit(
        { ...next, sealed: old.sealed, sealedSha256: old.sealedSha256 },
        { sealedSha256: next.sealedSha256, metaSha256: next.metaSha256 },
      );
      expect((await pushToNode(transport, next, "n1")).status).toBe("updated");
      expect((await transport.probe()).sealedSha256).toBe(next.sealedSha256);
    });

    it("refuses a target dir that is a symbolic link: nothing read, written or deleted through it", async () => {
      await using node = await createNode(dirName);
      await using transport = await node.open();
      await node.sh(`mkdir -p "$D.real" && printf 'x' > "$D.real/credentials.age" && ln -s "$D.real" "$D"`);
      const refused = { name: "ReplicationError", code: "REPL_NODE_DIR_UNSAFE", category: "input" };
      await expect(transport.probe()).rejects.toMatchObject(refused);
      await expect(pushToNode(transport, makePayload(1), "n1")).rejects.toMatchObject(refused);
      await expect(transport.commit(makePayload(1), { sealedSha256: null, metaSha256: null })).rejects.toMatchObject(
        refused,
      );
      await expect(transport.sweepTemps()).rejects.toMatchObject(refused);
      await expect(transport.remove()).rejects.toMatchObject(refused);
      await expect(transport.probe()).rejects.toThrow(/symbolic link/);
      await node.sh(`[ "$(ls -A "$D.real")" = credentials.age ] && [ "$(cat "$D.real/credentials.age")" = x ]`);
      await node.sh(`rm -f "$D" && rm -rf "$D.real"`);
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

    it("delete also removes a killed push's temp files", async () => {
      await using node = await createNode(dirName);
      await using transport = await node.open();
      await pushToNode(transport, makePayload(1), "n1");
      await node.sh(PLANT_KILLED_PUSH);
      expect(await transport.remove()).toEqual({ removed: 4, remaining: 0 });
      expect(await node.list()).toEqual([]);
    });
  });
}
