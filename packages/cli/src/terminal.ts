/**
 * stderr as one writer: permanent lines (logs, warnings, errors) and at most
 * one live status line (progress), which a permanent line clears and then
 * redraws below itself — a log line never lands inside `replicating 2/4 · …`.
 * Without a live display (`--no-progress`, not a terminal) `setLive` is a
 * no-op and `write` passes straight through.
 */
export interface Terminal {
  /** Writes permanent text (whole lines) above the live line. */
  write(text: string): void;
  /** Draws `line` as the live line, replacing the one drawn; undefined erases it. */
  setLive(line: string | undefined): void;
}

export interface TerminalOptions {
  readonly stream: { write(text: string): unknown };
  /** Whether a live line may be drawn (`GlobalOptions.progress`). */
  readonly live: boolean;
  /** False on NO_COLOR or a non-TTY: then the line is erased with spaces, escape-free. */
  readonly color: boolean;
}

const CLEAR_LINE = "\x1b[2K";

export function createTerminal({ stream, live, color }: TerminalOptions): Terminal {
  let drawn = "";
  const erase = () => {
    if (drawn === "") return;
    stream.write(color ? `\r${CLEAR_LINE}` : `\r${" ".repeat(drawn.length)}\r`);
  };
  return {
    write(text) {
      if (drawn === "") {
        stream.write(text);
        return;
      }
      erase();
      stream.write(text);
      stream.write(drawn);
    },
    setLive(line) {
      if (!live) return;
      const next = line ?? "";
      if (next === drawn) return;
      erase();
      drawn = next;
      if (drawn !== "") stream.write(drawn);
    },
  };
}
