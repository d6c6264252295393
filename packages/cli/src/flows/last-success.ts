import { closeSync, mkdirSync, openSync, readdirSync, statSync, utimesSync } from "node:fs";
import { join } from "node:path";

/**
 * When each scheduled command last succeeded, for `metrics`
 * (connect_ops_last_success_timestamp_seconds): one empty marker file per
 * command under `<state-dir>/last-success/`, its mtime the time. Touching a
 * file is one metadata write, no fsync: a token cache hit stays as cheap as it
 * was, and a mark lost to a crash only makes a success look older.
 */
export const SCHEDULED_COMMANDS = ["token", "replicate", "failover-check", "backup-hook", "verify-cleanup"] as const;
export type ScheduledCommand = (typeof SCHEDULED_COMMANDS)[number];

const DIR = "last-success";

export function markSuccess(stateDir: string, command: ScheduledCommand, nowMs: number): void {
  const dir = join(stateDir, DIR);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const marker = join(dir, command);
  closeSync(openSync(marker, "a", 0o600));
  const when = new Date(nowMs);
  utimesSync(marker, when, when);
}

/** Each command's last success (seconds since the epoch); commands never marked are absent. */
export function readLastSuccess(stateDir: string): Partial<Record<ScheduledCommand, number>> {
  const found: Partial<Record<ScheduledCommand, number>> = {};
  let names: string[];
  try {
    names = readdirSync(join(stateDir, DIR));
  } catch {
    return found; // no command has succeeded yet (the directory is made by the first mark)
  }
  for (const command of SCHEDULED_COMMANDS) {
    if (!names.includes(command)) continue;
    found[command] = Math.floor(statSync(join(stateDir, DIR, command)).mtimeMs / 1000);
  }
  return found;
}
