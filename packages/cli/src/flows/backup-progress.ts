import type { ScanProgress } from "@connect-ops/backup-hooks";
import type { Terminal } from "../terminal.js";
import { formatBytes } from "./human-units.js";

const REDRAW_EVERY_MS = 200;

/**
 * A one-line byte counter on the terminal's live line, redrawn at most five
 * times a second; the terminal draws nothing without progress (`--no-progress`,
 * not a TTY, `--quiet`), so cron mail and `--json` pipes never get carriage
 * returns. `done()` clears the line.
 */
export function scanProgressLine(
  terminal: Terminal,
  { enabled, now }: { readonly enabled: boolean; readonly now: () => number },
): {
  onProgress?: (progress: ScanProgress) => void;
  done(): void;
} {
  if (!enabled) return { done: () => undefined };
  let lastDrawn = Number.NEGATIVE_INFINITY;
  return {
    onProgress: (progress) => {
      const at = now();
      if (at - lastDrawn < REDRAW_EVERY_MS) return;
      lastDrawn = at;
      const percent =
        progress.totalBytes > 0 ? ` (${Math.floor((100 * progress.bytesScanned) / progress.totalBytes)}%)` : "";
      terminal.setLive(
        `scanning: ${formatBytes(progress.bytesScanned)} of ${formatBytes(progress.totalBytes)}${percent}, ${progress.filesScanned} files`,
      );
    },
    done: () => terminal.setLive(undefined),
  };
}
