import { usageError } from "../errors.js";

/** The value, or `CLI_USAGE` (exit 2) saying the state dir holds no connection yet. */
export function requireConnected<T>(value: T | undefined, stateDir: string): T {
  if (value === undefined) {
    throw usageError(
      `no GitHub Connect credentials are sealed in ${stateDir}`,
      "run `connect-ops connect` first (or `connect-ops backup restore`)",
    );
  }
  return value;
}
