import { removeTrackedTemps } from "@connect-ops/connection-core";

/** The signals an operator or a service manager ends a run with, and the exit code of each (128 + number). */
const SIGNAL_EXITS: ReadonlyArray<readonly [NodeJS.Signals, number]> = [
  ["SIGINT", 130],
  ["SIGTERM", 143],
  ["SIGHUP", 129],
];

let installed = false;

/**
 * Installs, once per process, the handlers that remove every temporary file
 * and dir the run made (connection-core's temp registry: atomic writes'
 * temps, redact's work dir and staged links) when SIGINT, SIGTERM or SIGHUP
 * ends it, then exit with 128 + the signal's number (130, 143, 129).
 * Removal is synchronous: nothing else runs after the signal. A SIGKILL
 * cannot be caught: the commands sweep what a killed run left when they start.
 */
export function installSignalCleanup(exit: (code: number) => void = (code) => process.exit(code)): void {
  if (installed) return;
  installed = true;
  for (const [signal, code] of SIGNAL_EXITS)
    process.on(signal, () => {
      removeTrackedTemps();
      exit(code);
    });
}
