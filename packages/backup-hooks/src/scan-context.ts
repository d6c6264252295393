import type { ResidueMatcher } from "@connect-ops/connection-core";
import type { AgeAudit, Finding, Gap, ScanLimits } from "./scan-types.js";
import type { StreamHit } from "./window-scanner.js";

/** Where one stream sits (file, then tar members), and where its results go. */
export interface StreamContext {
  readonly matcher: ResidueMatcher;
  readonly limits: ScanLimits;
  readonly maxDepth: number;
  readonly path: string;
  readonly members: readonly string[];
  /** Layers opened above this stream: 0 for the file, +1 per layer (tar, gzip, zip, …). */
  readonly depth: number;
  readonly linkedPaths: readonly string[] | undefined;
  readonly findings: Finding[];
  readonly gaps: Gap[];
  /** Layers opened so far, by decoder kind (`gzip`, `tar`): what the report says was decoded. Shared by all streams of a scan. */
  readonly layers?: Map<string, number>;
  /** How age files met in this stream are judged (ledger hashes, identities); absent: each is a gap. */
  readonly age?: AgeAudit;
}

/** Counts one opened layer of `kind`. */
export function countLayer(context: StreamContext, kind: string): void {
  context.layers?.set(kind, (context.layers.get(kind) ?? 0) + 1);
}

export function memberOf(context: StreamContext): string | undefined {
  return context.members.length === 0 ? undefined : context.members.join("!");
}

export function addGap(context: StreamContext, reason: string): void {
  const member = memberOf(context);
  context.gaps.push({ path: context.path, ...(member === undefined ? {} : { member }), reason });
}

export function addHit(context: StreamContext, hit: StreamHit): void {
  const member = memberOf(context);
  context.findings.push({
    path: context.path,
    ...(member === undefined ? {} : { member }),
    offset: hit.offset,
    length: hit.length,
    form: hit.form,
    encoding: hit.encoding,
    ...(hit.variant === undefined ? {} : { variant: hit.variant }),
    fingerprintId: hit.fingerprintId,
    ...(context.linkedPaths && context.linkedPaths.length > 0 ? { linkedPaths: context.linkedPaths } : {}),
  });
}

/** The context of a child stream one layer down: a named member adds to the chain, a gzip stream does not. */
export function nested<Context extends { readonly depth: number; readonly members: readonly string[] }>(
  context: Context,
  member?: string,
): Context {
  return {
    ...context,
    depth: context.depth + 1,
    members: member === undefined ? context.members : [...context.members, member],
  };
}
