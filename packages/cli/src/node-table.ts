/**
 * Left-aligned columns separated by two spaces, as plain text (no colour):
 * the human output of replicate, status and failover-check, readable in a
 * terminal and in a pasted incident log alike.
 */
export function renderTable(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] ?? "").length)),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column] ?? 0)))
      .join("  ")
      .trimEnd();
  return [line(header), ...rows.map(line)];
}

/** `3 → 4` when a node moved, `4` when it did not, `-` when unknown. */
export function formatGenerations(before: number | null, after: number | null): string {
  if (before === after) return before === null ? "-" : String(before);
  return `${before ?? "none"} → ${after ?? "?"}`;
}

export function formatDuration(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}
