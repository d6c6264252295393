import type { ResidueMatcher } from "@connect-ops/connection-core";
import type { Finding, Gap, ScanLimits } from "./scan-types.js";
import type { StreamHit } from "./window-scanner.js";

/** Where one stream sits (file, then tar members), and where its results go. */
export interface StreamContext {
  readonly matcher: ResidueMatcher;
  readonly limits: ScanLimits;
  readonly maxDepth: number;
  readonly path: string;
  readonly members: readonly string[];
  readonly depth: number;
  readonly linkedPaths: readonly string[] | undefined;
  readonly findings: Finding[];
  readonly gaps: Gap[];
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

export function nested(context: StreamContext, member?: string): StreamContext {
  return { ...context, depth: context.depth + 1, members: member === undefined ? context.members : [...context.members, member] };
}

export function isGzip(head: Uint8Array): boolean {
  return head.length >= 3 && head[0] === 0x1f && head[1] === 0x8b && head[2] === 0x08;
}
