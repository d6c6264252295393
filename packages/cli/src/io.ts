/** Everything the CLI touches outside itself, passed in so tests run it in-process. */
export interface CliIO {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly isTTY: boolean;
  readonly stdinIsTTY: boolean;
  readonly cwd: string;
  readonly now: () => number;
  /** Asks a yes/no question on the terminal; only called when stdin is a TTY. */
  readonly confirm: (question: string) => Promise<boolean>;
}

/** Node sets `isTTY` only on a terminal (it is undefined otherwise, whatever @types/node says). */
const isTerminal = (stream: { readonly isTTY?: boolean }): boolean => stream.isTTY === true;

export function processIO(): CliIO {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    isTTY: isTerminal(process.stdout),
    stdinIsTTY: isTerminal(process.stdin),
    cwd: process.cwd(),
    now: () => Date.now(),
    confirm: async (question) => {
      const { createInterface } = await import("node:readline/promises");
      const prompt = createInterface({ input: process.stdin, output: process.stderr });
      try {
        return /^y(es)?$/i.test((await prompt.question(`${question} [y/N] `)).trim());
      } finally {
        prompt.close();
      }
    },
  };
}
