import { spawn } from "node:child_process";
import { Duplex, PassThrough, Readable } from "node:stream";

/** How much of a codec's stderr is kept for a gap: its first line names the damage ("Unexpected end of input"). */
const STDERR_KEPT = 300;

/** A codec program failed: it exited non-zero (damage, a memory limit), or could not be started. */
export class CodecProcessError extends Error {
  readonly code: "CODEC_FAILED" | "CODEC_UNAVAILABLE";

  constructor(code: "CODEC_FAILED" | "CODEC_UNAVAILABLE", message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** What to run: the program, its arguments (never data), and the Debian package that has it (for the gap). */
export interface CodecCommand {
  readonly program: string;
  readonly args: readonly string[];
  readonly debianPackage: string;
}

/**
 * The real CLI of a format (`xz -dc`, `zstd -dc`, `bzip2 -dc`, and `-c` to
 * re-encode) as one duplex stream: bytes in on stdin, bytes out on stdout,
 * nothing on disk and nothing in argv. It runs in its own process (another
 * core). The readable side fails with CODEC_FAILED (the program's first
 * stderr line) when it exits non-zero, CODEC_UNAVAILABLE when it is not
 * installed; EPIPE on stdin (the program stopped reading: it failed) defers to
 * that. Destroying the stream kills the program.
 */
export function codecProcess(command: CodecCommand): Duplex {
  const child = spawn(command.program, command.args, { stdio: ["pipe", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", (text: string) => {
    if (stderr.length < STDERR_KEPT) stderr += text;
  });
  const closed = new Promise<number | null>((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (code: number | null) => {
      resolve(code);
    });
  });
  // Settled at once: the spawn error is reported through the readable side, never as an unhandled rejection.
  const exit = Promise.allSettled([closed]).then(([settled]) => settled);
  const input = new PassThrough();
  input.pipe(child.stdin);
  child.stdin.on("error", (error: NodeJS.ErrnoException) => {
    // The program stopped reading (it failed, or it is done): its exit status says which. Discard the rest.
    input.unpipe(child.stdin);
    input.resume();
    if (error.code !== "EPIPE") child.kill();
  });
  const output = Readable.from(
    (async function* decoded() {
      for await (const chunk of child.stdout) yield chunk as Buffer;
      const settled = await exit;
      if (settled.status === "rejected") {
        const cause = settled.reason as NodeJS.ErrnoException;
        throw new CodecProcessError(
          cause.code === "ENOENT" ? "CODEC_UNAVAILABLE" : "CODEC_FAILED",
          cause.code === "ENOENT"
            ? `${command.program} is not installed (Debian package ${command.debianPackage}); not decoded`
            : `${command.program} could not be started (${cause.code ?? "error"})`,
          { cause },
        );
      }
      if (settled.value !== 0)
        throw new CodecProcessError(
          "CODEC_FAILED",
          `${command.program} exited ${settled.value ?? "on a signal"}: ${firstLine(stderr)}`,
        );
    })(),
    { objectMode: false },
  );
  const duplex = Duplex.from({ writable: input, readable: output });
  duplex.once("close", () => {
    if (child.exitCode === null && child.signalCode === null) child.kill();
  });
  return duplex;
}

function firstLine(text: string): string {
  return (text.split("\n", 1)[0] ?? "").slice(0, STDERR_KEPT).trim();
}
