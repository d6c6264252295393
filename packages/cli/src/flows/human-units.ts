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
