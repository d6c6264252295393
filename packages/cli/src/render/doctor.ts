import type { DoctorReport } from "../lifecycle/doctor.js";
import { renderTable } from "../node-table.js";

/** The table, then each failure's hint, then the verdict. */
export function renderDoctor(report: DoctorReport): string[] {
  const table = renderTable(
    ["CHECK", "TARGET", "RESULT", "DETAIL"],
    report.rows.map((entry) => [entry.check, entry.target, entry.status.toUpperCase(), entry.detail]),
  );
  const hints = report.rows.flatMap((entry) =>
    entry.status === "fail" && entry.hint !== undefined ? [`  ${entry.check} ${entry.target}: → ${entry.hint}`] : [],
  );
  const { pass, fail, skip } = report.summary;
  const verdict = report.ok
    ? `OK: ${pass} checks passed${skip > 0 ? `, ${skip} skipped` : ""}`
    : `FAILED: ${fail} of ${pass + fail + skip} checks failed (what to do is listed above)`;
  return [...table, ...(hints.length === 0 ? [] : ["", "What to do:", ...hints]), "", verdict];
}
