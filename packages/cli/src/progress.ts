import type { Terminal } from "./terminal.js";

/** One finished node as the progress line counts it. */
export interface ProgressItem {
  readonly name: string;
  readonly ok: boolean;
}

export interface ProgressWriter {
  /** The nodes in flight, in order; draws the status line. */
  start(names: readonly string[]): void;
  /** Counts the node as done (and failed, when not ok) and redraws the status line. */
  nodeDone(item: ProgressItem): void;
  /** Erases the status line so the command's own output starts on a clean line. */
  finish(): void;
}

export interface ProgressOptions {
  /** stderr, shared with the logs: progress never mixes with the result on stdout. */
  readonly terminal: Terminal;
  /** The verb on the status line, e.g. "replicating". */
  readonly label: string;
}

/** At most this many names are spelled out on the status line; the rest is a count. */
const NAMES_SHOWN = 4;

function names(list: readonly string[]): string {
  return list.length > NAMES_SHOWN
    ? `${list.slice(0, NAMES_SHOWN).join(", ")}, +${list.length - NAMES_SHOWN}`
    : list.join(", ");
}

/**
 * A live per-node status line for a terminal — `replicating 2/4 · failed: b ·
 * waiting for c, d` — rewritten in place and erased at the end. It prints no
 * permanent line of its own: the command's result reports every node once
 * (a failure shown here and again in the result table would be said twice).
 */
export function createProgress({ terminal, label }: ProgressOptions): ProgressWriter {
  let pending: string[] = [];
  const failed: string[] = [];
  let total = 0;
  const draw = () => {
    if (pending.length === 0) {
      terminal.setLive(undefined);
      return;
    }
    const failures = failed.length === 0 ? "" : ` · failed: ${names(failed)}`;
    terminal.setLive(`${label} ${total - pending.length}/${total}${failures} · waiting for ${names(pending)}`);
  };
  return {
    start(list) {
      pending = [...list];
      total = list.length;
      draw();
    },
    nodeDone(item) {
      pending = pending.filter((name) => name !== item.name);
      if (!item.ok) failed.push(item.name);
      draw();
    },
    finish() {
      pending = [];
      terminal.setLive(undefined);
    },
  };
}
