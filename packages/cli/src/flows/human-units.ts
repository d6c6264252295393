const UNITS = ["KiB", "MiB", "GiB", "TiB"] as const;

/**
 * Bytes as people read them, in binary units with the unit right: `512 B`, `1.5 KiB`,
 * `12.3 MiB`, `2.00 GiB` (three significant digits from KiB up). The exact count stays in
 * the JSON; this is for terminals and the HTML report.
 */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return `${String(bytes)} B`;
  if (bytes < 1024) return `${String(Math.round(bytes))} B`;
  let value = bytes / 1024;
  let unit = 0;
  // 1023.9 KiB would print as "1024 KiB": the next unit is the right one once it rounds up to 1024.
  while (value >= 1023.5 && unit < UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  const digits = value >= 100 ? 0 : value >= 10 ? 1 : 2;
  return `${value.toFixed(digits)} ${UNITS[unit] ?? "TiB"}`;
}

/** "52 min", "3 h 5 min", "40 s": how long, as a person reads it. */
export function humanDuration(seconds: number): string {
  const abs = Math.abs(Math.round(seconds));
  if (abs < 90) return `${abs} s`;
  const minutes = Math.round(abs / 60);
  if (minutes < 90) return `${minutes} min`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

/** A timestamp with how far it is from now, as a person reads it: `2026-12-02T16:33:34Z (in 52 min)`, `… (3 min ago)`. */
export function withRelativeTime(iso: string, nowMs: number): string {
  const at = Date.parse(iso);
  if (!Number.isFinite(at)) return iso;
  const seconds = (at - nowMs) / 1000;
  return `${iso} (${seconds >= 0 ? `in ${humanDuration(seconds)}` : `${humanDuration(seconds)} ago`})`;
}
