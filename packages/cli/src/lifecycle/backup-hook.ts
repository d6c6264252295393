import { listSnapshots, openSnapshot, type SnapshotInfo } from "@connect-ops/backup-hooks";
import { join } from "node:path";
import { readHookMarker, writeHookMarker, type HookMarker } from "../flows/hook-marker.js";
import type { CrashHook } from "./ports.js";

/** What one snapshot's processing tells the loop: done (the marker may be written) or not (re-run reprocesses it). */
export interface SnapshotOutcome<Detail> {
  readonly complete: boolean;
  /** include: the generation sealed in, recorded in the marker. */
  readonly generation?: number;
  readonly detail: Detail;
}

export interface HookPorts<Detail> {
  readonly policy: HookMarker["policy"];
  /** include: the vault's generation now; a snapshot marked with another one is sealed again. */
  readonly generation?: number;
  readonly process: (snapshot: SnapshotInfo) => Promise<SnapshotOutcome<Detail>>;
  readonly crash: CrashHook;
  readonly now: () => number;
}

export type HookEntry<Detail> =
  | { readonly id: string; readonly outcome: "processed"; readonly complete: boolean; readonly detail: Detail }
  | { readonly id: string; readonly outcome: "already-processed"; readonly processedAt: string }
  | { readonly id: string; readonly outcome: "skipped-incomplete" };

export interface HookRun<Detail> {
  readonly dataDir: string;
  readonly current: string;
  readonly snapshots: HookEntry<Detail>[];
}

function upToDate(marker: HookMarker | undefined, ports: { policy: string; generation?: number }): boolean {
  if (marker?.policy !== ports.policy) return false;
  return ports.policy !== "include" || marker.generation === ports.generation;
}

/**
 * The post-backup hook over every snapshot of the data dir, oldest first: `current` is checked
 * first (incomplete or a running backup refuses, nothing changed), then each snapshot without an
 * up-to-date marker is processed and, once complete, marked atomically. A kill before the marker
 * leaves the snapshot unmarked, so the next run processes it again; none is ever skipped.
 * Older snapshots with an `incomplete` marker (a failed backup, pruned by backup-utils) are
 * skipped and listed unless `force`.
 */
export async function runHookOverSnapshots<Detail>(
  ports: HookPorts<Detail>,
  request: { readonly dataDir: string; readonly force: boolean },
): Promise<HookRun<Detail>> {
  const current = await openSnapshot(join(request.dataDir, "current"), { force: request.force });
  const listing = await listSnapshots(request.dataDir);
  const entries: HookEntry<Detail>[] = [];
  for (const snapshot of listing.snapshots) {
    if (snapshot.incomplete && !request.force && !snapshot.isCurrent) {
      entries.push({ id: snapshot.id, outcome: "skipped-incomplete" });
      continue;
    }
    const marker = await readHookMarker(snapshot.path);
    if (marker !== undefined && upToDate(marker, ports)) {
      entries.push({ id: snapshot.id, outcome: "already-processed", processedAt: marker.processedAt });
      continue;
    }
    ports.crash(`backup-hook:before:${snapshot.id}`);
    const outcome = await ports.process(snapshot);
    ports.crash(`backup-hook:processed:${snapshot.id}`);
    if (outcome.complete) {
      await writeHookMarker(snapshot.path, {
        format: "connect-ops/backup-hook@1",
        policy: ports.policy,
        processedAt: new Date(ports.now()).toISOString(),
        ...(outcome.generation === undefined ? {} : { generation: outcome.generation }),
      });
      ports.crash(`backup-hook:marked:${snapshot.id}`);
    }
    entries.push({ id: snapshot.id, outcome: "processed", complete: outcome.complete, detail: outcome.detail });
  }
  return { dataDir: listing.dataDir, current: current.id, snapshots: entries };
}
