import { rmSync } from "node:fs";

/**
 * The temporary files and dirs this process has made and not yet removed or
 * renamed into place (issue 13.5): an atomic write's `.NAME.tmp-…`, redact's
 * work dir and staged links. A signal handler (the CLI installs one,
 * cli/src/signals.ts) removes them all before the process exits; a SIGKILL
 * cannot be caught, so every command also sweeps what a killed run left
 * when it starts. Paths only, never content.
 */
const live = new Map<number, { readonly path: string; readonly dir: boolean }>();
let nextId = 0;

/** Records a temp; the returned function forgets it (call it once the temp is removed or renamed). */
export function trackTemp(path: string, kind: "file" | "dir" = "file"): () => void {
  const id = nextId;
  nextId += 1;
  live.set(id, { path, dir: kind === "dir" });
  return () => {
    live.delete(id);
  };
}

/** Removes every tracked temp, synchronously (a signal handler cannot wait); returns the paths removed. */
export function removeTrackedTemps(): string[] {
  const removed: string[] = [];
  // Newest first: a file staged inside a work dir goes before the dir.
  for (const [id, temp] of [...live.entries()].reverse()) {
    try {
      rmSync(temp.path, { recursive: temp.dir, force: true });
      removed.push(temp.path);
    } catch {
      // Best effort on the way out: the next run's sweep removes what is left.
    }
    live.delete(id);
  }
  return removed;
}

/** The paths tracked now (tests). */
export function trackedTemps(): string[] {
  return [...live.values()].map((temp) => temp.path);
}
