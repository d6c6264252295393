/** What one script run on a node gave back. */
export interface ShellResult {
  /** Exit status, or null when the node reported none (killed by a signal). */
  readonly code: number | null;
  readonly stdout: Buffer;
  readonly stderr: Buffer;
}

/**
 * A way to run one sh script on a node, with optional bytes on its stdin.
 * The ssh driver implements it with one ssh2 connection (one exec channel per
 * step); tests also run it against the local `sh`, so the scripts are covered
 * without Docker. Throws `ReplicationError` on transport failures.
 */
export interface RemoteShell extends AsyncDisposable {
  run(script: string, stdin: readonly Uint8Array[], signal?: AbortSignal): Promise<ShellResult>;
  /**
   * Runs `script` as one conversation: once its stdout holds `reply.marker`,
   * `reply.answer` gets the stdout before the marker and returns the bytes to
   * send on stdin (then closed). A script that ends before printing the
   * marker gets no answer. If `answer` throws, stdin is closed empty and the
   * run rejects with that error once the script has ended.
   */
  converse(script: string, reply: ShellReply, signal?: AbortSignal): Promise<ShellResult>;
}

/** The half-time answer of `RemoteShell.converse`. */
export interface ShellReply {
  readonly marker: string;
  answer(head: Buffer): readonly Uint8Array[];
}

/**
 * Feeds stdout chunks, and once `marker` shows up calls `answer` (once) and
 * writes its bytes; every shell implementation uses it, so they agree on
 * where the marker is looked for.
 */
export function createReplier(
  reply: ShellReply,
  write: (chunks: readonly Uint8Array[]) => void,
): {
  /** Called with all stdout kept so far; `overflowed` when the shell stopped keeping it (its output bound): stdin is then closed unanswered. */
  readonly onStdout: (stdout: readonly Buffer[], overflowed?: boolean) => void;
  readonly failure: () => Error | undefined;
} {
  const marker = Buffer.from(reply.marker, "latin1");
  let answered = false;
  let failure: Error | undefined;
  return {
    onStdout(stdout, overflowed = false) {
      if (answered) return;
      const all = Buffer.concat(stdout);
      const at = all.indexOf(marker);
      if (at < 0) {
        // A node that never stops talking before the marker gets no answer, so its script ends instead of waiting.
        if (overflowed) {
          answered = true;
          write([]);
        }
        return;
      }
      answered = true;
      let chunks: readonly Uint8Array[] = [];
      try {
        chunks = reply.answer(all.subarray(0, at));
      } catch (error) {
        failure = error instanceof Error ? error : new Error("the answer to a node script failed", { cause: error });
      }
      write(chunks);
    },
    failure: () => failure,
  };
}
