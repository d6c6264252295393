/** Called at each named checkpoint (the lifecycles' `CrashHook` port). */
type CrashHook = (checkpoint: string) => void;

/**
 * Test-only fault injection: `CONNECT_OPS_FAULT_CRASH_AT=<checkpoint>` kills the process there
 * (SIGKILL), like a power cut. Loaded only by the test bundle (src/wiring/appliance.ts `crashHook`):
 * the production bundle compiles the import out, so neither this code nor the variable's
 * name ships.
 */
export function envCrashHook(env: Readonly<Record<string, string | undefined>>): CrashHook {
  const target = env.CONNECT_OPS_FAULT_CRASH_AT;
  return (point) => {
    if (target !== undefined && target === point) process.kill(process.pid, "SIGKILL");
  };
}
