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
}
