import type { ScanProgress } from "@connect-ops/backup-hooks";
import type { CliIO } from "../io.js";

const REDRAW_EVERY_MS = 200;

function megabytes(bytes: number): string {
  return `${(bytes / 1024 ** 2).toFixed(1)} MB`;
}

/**
 * A one-line byte counter on stderr, redrawn at most five times a second,
 * only when progress is on (a TTY without --no-progress): cron mail and
 * `--json` pipes never get carriage returns. `done()` clears the line.
 */
export function scanProgressLine(terminal: {
  /** Whether progress is on (`GlobalOptions.progress`). */
  readonly enabled: boolean;
  readonly now: () => number;
  readonly stderr: CliIO["stderr"];
}): {
  onProgress?: (progress: ScanProgress) => void;
  done(): void;
} {
  if (!terminal.enabled) return { done: () => undefined };
  let lastDrawn = Number.NEGATIVE_INFINITY;
  let drawn = false;
  return {
    onProgress: (progress) => {
      const now = terminal.now();
      if (now - lastDrawn < REDRAW_EVERY_MS) return;
      lastDrawn = now;
      drawn = true;
      const percent =
        progress.totalBytes > 0 ? ` (${Math.floor((100 * progress.bytesScanned) / progress.totalBytes)}%)` : "";
      terminal.stderr.write(
        `\r\x1b[2Kscanning: ${megabytes(progress.bytesScanned)} of ${megabytes(progress.totalBytes)}${percent}, ${progress.filesScanned} files`,
      );
    },
    done: () => {
      if (drawn) terminal.stderr.write("\r\x1b[2K");
    },
  };
}
