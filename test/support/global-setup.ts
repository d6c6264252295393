import { execFileSync } from "node:child_process";
import { renameSync, rmSync } from "node:fs";
import { join } from "node:path";

/**
 * The end-to-end suites run the real `connect-ops` bin, which loads the
 * bundle in packages/cli/dist/bundle. Rebuild it once per run so the suites
 * never test a stale build — into a side directory swapped in by rename, so a
 * run going on beside this one never sees the bundle missing or half-written.
 */
export default function buildCliBundle(): void {
  const cli = join(import.meta.dirname, "..", "..", "packages", "cli");
  const next = `dist/bundle.next-${process.pid}`;
  execFileSync(process.execPath, [join(cli, "..", "..", "node_modules", "rolldown", "bin", "cli.mjs"), "-c", "rolldown.config.mjs"], {
    cwd: cli,
    env: { ...process.env, CONNECT_OPS_BUNDLE_DIR: next },
    stdio: ["ignore", "ignore", "inherit"],
  });
  const old = join(cli, `dist/bundle.old-${process.pid}`);
  try {
    renameSync(join(cli, "dist", "bundle"), old);
  } catch {
    // no bundle yet
  }
  renameSync(join(cli, next), join(cli, "dist", "bundle"));
  rmSync(old, { recursive: true, force: true });
}
