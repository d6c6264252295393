import { ReplicationError } from "./errors.js";
import type { ReplicationPayload } from "./payload.js";
import type { NodeState, NodeTransport, PushStep } from "./transport.js";

export type PushDecision = "write" | "unchanged" | "stale" | "conflict";

/**
 * The compare-and-swap rule. A node with a newer generation is `stale` (never
 * overwritten). Same generation and same bytes is `unchanged`. Same generation
 * with different bytes is repaired only when the node's pair is inconsistent
 * (its meta does not describe its sealed file: an interrupted rename);
 * a consistent but different pair is a `conflict` for an operator to look at.
 */
export function decidePush(state: NodeState, payload: ReplicationPayload): PushDecision {
  if (state.meta === null) return "write";
  const nodeGeneration = state.meta.generation;
  const ourGeneration = payload.meta.generation;
  if (nodeGeneration > ourGeneration) return "stale";
  if (nodeGeneration < ourGeneration) return "write";
  if (state.sealedSha256 === payload.sealedSha256 && state.metaSha256 === payload.metaSha256) return "unchanged";
  return state.meta.sealedSha256 !== state.sealedSha256 ? "write" : "conflict";
}

export interface PushOutcome {
  readonly status: "updated" | "unchanged" | "stale";
  readonly generationBefore: number | null;
  readonly generationAfter: number | null;
}

/**
 * Probes, decides and commits (or only sweeps leftover temp files when no
 * write is needed), then checks the read-back hashes (the
 * convergence proof). Retries the decision when the node changed between
 * probe and commit. Throws `REPL_GENERATION_CONFLICT` or `REPL_NOT_CONVERGED`.
 */
export async function pushToNode(
  transport: NodeTransport,
  payload: ReplicationPayload,
  nodeName: string,
  signal?: AbortSignal,
): Promise<PushOutcome> {
  let firstGeneration: number | null | undefined;
  for (let attempt = 0; attempt < 3; attempt++) {
    let decision = "write" as PushDecision;
    // No write ahead: the push still sweeps temp files of an earlier interrupted push (commit sweeps them itself).
    const pushed = await transport.push(
      payload,
      (state) => (decision = decidePush(state, payload)) === "write",
      signal,
    );
    const generationBefore = pushed.state.meta?.generation ?? null;
    firstGeneration ??= generationBefore;
    if (decision === "unchanged" || decision === "stale") {
      return { status: decision, generationBefore: firstGeneration, generationAfter: generationBefore };
    }
    if (decision === "conflict") {
      throw new ReplicationError(
        "REPL_GENERATION_CONFLICT",
        `node ${nodeName} holds different credentials with the same generation ${generationBefore ?? "?"}`,
        {
          category: "incomplete",
          hint: "another primary may have written to it: run `connect-ops status`, then re-seal on the real primary (a new generation) and replicate again",
          context: { node: nodeName },
        },
      );
    }
    if (pushed.step !== "committed")
      throw new Error(`the push to node ${nodeName} decided to write but did not commit`);
    const committed = pushed.commit;
    if (committed.result === "conflict") continue;
    if (committed.sealedSha256 !== payload.sealedSha256 || committed.metaSha256 !== payload.metaSha256) {
      throw new ReplicationError(
        "REPL_NOT_CONVERGED",
        `node ${nodeName} does not hold the pushed files after the write`,
        {
          category: "incomplete",
          hint: "another writer may be active on the node; run `connect-ops status`, then replicate again",
          context: { node: nodeName },
        },
      );
    }
    return { status: "updated", generationBefore: firstGeneration, generationAfter: payload.meta.generation };
  }
  throw new ReplicationError("REPL_NOT_CONVERGED", `node ${nodeName} kept changing while being written`, {
    category: "incomplete",
    hint: "make sure only one connect-ops run replicates at a time, then run it again",
    context: { node: nodeName },
  });
}

/** `NodeTransport.push` as three steps (probe, then commit or sweep), for drivers where a step costs no round trip. */
export async function pushInSteps(
  transport: Pick<NodeTransport, "probe" | "commit" | "sweepTemps">,
  payload: ReplicationPayload,
  write: (state: NodeState) => boolean,
  signal?: AbortSignal,
): Promise<PushStep> {
  const state = await transport.probe(signal);
  if (write(state)) {
    const expected = { sealedSha256: state.sealedSha256, metaSha256: state.metaSha256 };
    return { state, step: "committed", commit: await transport.commit(payload, expected, signal) };
  }
  if (state.tempFiles === 0) return { state, step: "none" };
  return { state, step: "swept", removed: await transport.sweepTemps(signal) };
}
