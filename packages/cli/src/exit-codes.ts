/** The CLI contract's exit codes (ARCHITECTURE.md), stable for runbooks. */
export const EXIT = {
  ok: 0,
  problemFound: 1,
  usage: 2,
  incomplete: 3,
  internal: 70,
} as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];
