import { abortReason } from "@connect-ops/connection-core";
import { testdir, type TestDir } from "@connect-ops/test-support";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { deleteFromNodes } from "./delete-nodes.js";
import { ReplicationError } from "./errors.js";
import type { NodeSpec } from "./inventory.js";
import { createLocalTransport } from "./local-transport.js";
import { probeNodes } from "./probe-nodes.js";
import { pushInSteps } from "./push-to-node.js";
import { allConverged, replicateToNodes } from "./replicate.js";
import { FakeClock } from "./test-support/fake-clock.js";
import { makePayload } from "./test-support/payloads.js";
import type { TransportOpener } from "./transport-opener.js";
import type { NodeTransport } from "./transport.js";

let scratch: TestDir;
let root: string;
let nodes: NodeSpec[];
beforeEach(async () => {
  scratch = await testdir({ prefix: "connect-ops-fanout-" });
  root = scratch.path;
  nodes = ["r1", "c1", "c2"].map((name, index) => ({
    name,
    host: "localhost",
    port: 122,
    user: "admin",
    role: index === 0 ? "replica" : "cluster",
    path: join(root, name),
    transport: "local",
  }));
});
afterEach(() => scratch[Symbol.asyncDispose]());

/** Local transports, except nodes in `down`, which refuse the connection; counts commits per node. */
function flakyOpener(down: Set<string>, commits: Map<string, number>): TransportOpener {
  return (node) => {
    if (down.has(node.name))
      return Promise.reject(
        new ReplicationError("REPL_UNREACHABLE", `node ${node.name} is unreachable (ECONNREFUSED)`),
      );
    const local = createLocalTransport(node.name, node.path);
    const counted: NodeTransport = {
      probe: (signal) => local.probe(signal),
      commit: (payload, expected, signal) => {
        commits.set(node.name, (commits.get(node.name) ?? 0) + 1);
        return local.commit(payload, expected, signal);
      },
      sweepTemps: (signal) => local.sweepTemps(signal),
      push: (payload, write, signal) => pushInSteps(counted, payload, write, signal),
      remove: (signal) => local.remove(signal),
      writeIdentity: (identityFile, signal) => local.writeIdentity(identityFile, signal),
      identityDigest: (signal) => local.identityDigest(signal),
      readForRehearsal: (signal) => local.readForRehearsal(signal),
      destroyIdentity: (expectedSha256, signal) => local.destroyIdentity(expectedSha256, signal),
      [Symbol.asyncDispose]: () => local[Symbol.asyncDispose](),
    };
    return Promise.resolve(counted);
  };
}

describe("replicateToNodes", () => {
  it("collects every node's result; a re-run touches only nodes not converged", async () => {
    const down = new Set(["c1"]);
    const commits = new Map<string, number>();
    const open = flakyOpener(down, commits);
    const payload = makePayload(4);
    const first = await replicateToNodes(nodes, payload, { openTransport: open, retries: 0 });
    expect(first.map(({ name, status, generationAfter }) => ({ name, status, generationAfter }))).toEqual([
      { name: "r1", status: "updated", generationAfter: 4 },
      { name: "c1", status: "unreachable", generationAfter: null },
      { name: "c2", status: "updated", generationAfter: 4 },
    ]);
    expect(first[1]?.error?.code).toBe("REPL_UNREACHABLE");
    expect(allConverged(first)).toBe(false);

    down.clear();
    commits.clear();
    const second = await replicateToNodes(nodes, payload, { openTransport: open });
    expect(second.map((result) => result.status)).toEqual(["unchanged", "updated", "unchanged"]);
    expect([...commits.keys()]).toEqual(["c1"]);
    expect(allConverged(second)).toBe(true);
  });

  it("retries a transient failure with backoff on the injected clock", async () => {
    const clock = new FakeClock();
    let refusals = 2;
    const local: TransportOpener = (node) => {
      if (node.name === "r1" && refusals-- > 0)
        return Promise.reject(new ReplicationError("REPL_UNREACHABLE", "refused"));
      return Promise.resolve(createLocalTransport(node.name, node.path));
    };
    const running = replicateToNodes(nodes, makePayload(1), {
      openTransport: local,
      clock,
      random: () => 1 - Number.EPSILON,
      retryBaseDelayMs: 100,
    });
    for (let step = 0; step < 10; step++) await clock.advance(100);
    const results = await running;
    expect(results.map((result) => result.status)).toEqual(["updated", "updated", "updated"]);
  });

  it("reports a node that never answers as unreachable once its connect deadline passes", async () => {
    const clock = new FakeClock();
    const hanging: TransportOpener = (node, _timeout, signal) =>
      node.name === "c2"
        ? new Promise((_resolve, reject) => {
            signal.addEventListener("abort", () => {
              reject(abortReason(signal));
            });
          })
        : Promise.resolve(createLocalTransport(node.name, node.path));
    const running = replicateToNodes(nodes, makePayload(1), {
      openTransport: hanging,
      clock,
      connectTimeoutMs: 5000,
      retries: 0,
    });
    await clock.advance(5000);
    const results = await running;
    expect(results[2]).toMatchObject({ status: "unreachable", error: { code: "REPL_TIMEOUT" }, durationMs: 5000 });
    expect(results.slice(0, 2).map((result) => result.status)).toEqual(["updated", "updated"]);
  });

  it("fails a node on a non-transient error without retrying it", async () => {
    let attempts = 0;
    const auth: TransportOpener = (node) => {
      if (node.name === "r1") {
        attempts++;
        return Promise.reject(
          new ReplicationError("REPL_AUTH_FAILED", "node r1 refused authentication for user admin"),
        );
      }
      return Promise.resolve(createLocalTransport(node.name, node.path));
    };
    const results = await replicateToNodes(nodes, makePayload(1), { openTransport: auth, nodes: ["r1"] });
    expect(results).toHaveLength(1);
    expect(results[0]).toMatchObject({ name: "r1", status: "failed", error: { code: "REPL_AUTH_FAILED" } });
    expect(attempts).toBe(1);
  });

  it("reports stale for a node holding a newer generation", async () => {
    await replicateToNodes(nodes, makePayload(9), { nodes: ["c2"] });
    const results = await replicateToNodes(nodes, makePayload(8));
    expect(results.map((result) => result.status)).toEqual(["updated", "updated", "stale"]);
    expect(results[2]).toMatchObject({ generationBefore: 9, generationAfter: 9 });
  });
});

describe("probeNodes and deleteFromNodes", () => {
  it("a node torn between the two renames probes inconsistent and the next replicate repairs it (issue 8)", async () => {
    const open = flakyOpener(new Set(), new Map());
    const old = makePayload(4);
    const next = makePayload(5);
    await replicateToNodes(nodes, old, { openTransport: open, retries: 0 });
    // By hand: c1 got the new credentials.age, the kill came before meta.json, the meta temp stayed.
    const c1 = join(root, "c1");
    await writeFile(join(c1, "credentials.age"), next.sealed, { mode: 0o600 });
    await writeFile(join(c1, ".connect-ops-0123456789abcdef.meta.json.tmp"), next.metaBytes, { mode: 0o600 });
    const torn = (await probeNodes(nodes, { openTransport: open })).find((probe) => probe.name === "c1");
    expect(torn).toMatchObject({ consistent: false, generation: 4, tempFiles: 1 });
    const results = await replicateToNodes(nodes, next, { openTransport: open, retries: 0 });
    expect(allConverged(results)).toBe(true);
    for (const probe of await probeNodes(nodes, { openTransport: open })) {
      expect(probe, probe.name).toMatchObject({
        consistent: true,
        generation: 5,
        tempFiles: 0,
        sealedSha256: next.sealedSha256,
      });
    }
  });

  it("probes drift and deletes everywhere", async () => {
    const payload = makePayload(2);
    await replicateToNodes(nodes, makePayload(1), { nodes: ["c1"] });
    await replicateToNodes(nodes, payload, { nodes: ["r1"] });
    const expected = { generation: 2, sealedSha256: payload.sealedSha256, metaSha256: payload.metaSha256 };
    const probes = await probeNodes(nodes, { expected });
    expect(probes.map(({ name, status, drift, consistent }) => ({ name, status, drift, consistent }))).toEqual([
      { name: "r1", status: "ok", drift: "in-sync", consistent: true },
      { name: "c1", status: "ok", drift: "behind", consistent: true },
      { name: "c2", status: "absent", drift: "missing", consistent: false },
    ]);
    const deleted = await deleteFromNodes(nodes);
    expect(deleted.map((result) => result.status)).toEqual(["deleted", "deleted", "absent"]);
    expect((await probeNodes(nodes)).every((probe) => probe.status === "absent")).toBe(true);
  });
});
