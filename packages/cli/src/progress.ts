/** One finished node as the progress line shows it. */
export interface ProgressItem {
  readonly name: string;
  readonly status: string;
  readonly ok: boolean;
  readonly detail?: string;
}

export interface ProgressWriter {
  /** The nodes in flight, in order; draws the status line. */
  start(names: readonly string[]): void;
  /** Prints the node's line above the status line and redraws it. */
  nodeDone(item: ProgressItem): void;
  /** Erases the status line so the command's own output starts on a clean line. */
  finish(): void;
}

export interface ProgressOptions {
  /** stderr: progress never mixes with the result on stdout. */
  readonly stream: { write(text: string): unknown };
  /** False for `--no-progress`, a non-TTY stdout or `--json` piped away: every method is a no-op. */
  readonly enabled: boolean;
  /** False on NO_COLOR or a non-TTY: then no escape sequence at all is written, only `\r` and spaces. */
  readonly color: boolean;
  /** The verb on the status line, e.g. "replicating". */
  readonly label: string;
}

const GREEN = "\x1b[32m";
const RED = "\x1b[31m";
const RESET = "\x1b[0m";
const CLEAR_LINE = "\x1b[2K";

const noProgress: ProgressWriter = { start: () => undefined, nodeDone: () => undefined, finish: () => undefined };

/**
 * A live per-node progress display for a terminal: one permanent line per
 * finished node and one status line (`replicating 2/4 · waiting for a, b`)
 * that is rewritten in place with `\r`.
 */
export function createProgress(options: ProgressOptions): ProgressWriter {
  if (!options.enabled) return noProgress;
  const { stream, color, label } = options;
  let pending: string[] = [];
  let total = 0;
  let drawn = 0;

  const erase = () => {
    if (drawn === 0) return;
    // Without colour we stay escape-free: overwrite with spaces, then return to column 0.
    stream.write(color ? `\r${CLEAR_LINE}` : `\r${" ".repeat(drawn)}\r`);
    drawn = 0;
  };
  const draw = () => {
    if (pending.length === 0) return;
    const waiting =
      pending.length > 4 ? `${pending.slice(0, 4).join(", ")}, +${pending.length - 4}` : pending.join(", ");
    const line = `${label} ${total - pending.length}/${total} · waiting for ${waiting}`;
    stream.write(line);
    drawn = line.length;
  };
  const paint = (text: string, ok: boolean) => (color ? `${ok ? GREEN : RED}${text}${RESET}` : text);

  return {
    start(names) {
      pending = [...names];
      total = names.length;
      draw();
    },
    nodeDone(item) {
      pending = pending.filter((name) => name !== item.name);
      erase();
      const mark = paint(item.ok ? "✓" : "✗", item.ok);
      stream.write(
        `  ${mark} ${item.name}  ${paint(item.status, item.ok)}${item.detail === undefined ? "" : `  ${item.detail}`}\n`,
      );
      draw();
    },
    finish() {
      erase();
      pending = [];
    },
  };
}
