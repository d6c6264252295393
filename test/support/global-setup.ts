import { execFileSync } from "node:child_process";
import { renameSync, rmSync } from "node:fs";
import { join } from "node:path";

/**
 * The end-to-end suites run the real `connect-ops` bin, which loads the
 * bundle in packages/cli/dist/bundle; the crash suites run the test bundle
 * (dist/test-bundle, which keeps the CONNECT_OPS_FAULT_CRASH_AT hook the
 * production bundle compiles out) through `snapshotCli({ testHooks: true })`.
 * Rebuild both once per run so the suites never test a stale build — into
 * side directories swapped in by rename, so a run going on beside this one
 * never sees a bundle missing or half-written.
 */
export default function buildCliBundle(): void {
  const cli = join(import.meta.dirname, "..", "..", "packages", "cli");
  const next = { bundle: `dist/bundle.next-${process.pid}`, "test-bundle": `dist/test-bundle.next-${process.pid}` };
  execFileSync(
    process.execPath,
    [join(cli, "..", "..", "node_modules", "rolldown", "bin", "cli.mjs"), "-c", "rolldown.config.mjs"],
    {
      cwd: cli,
      env: { ...process.env, CONNECT_OPS_BUNDLE_DIR: next.bundle, CONNECT_OPS_TEST_BUNDLE_DIR: next["test-bundle"] },
      stdio: ["ignore", "ignore", "inherit"],
    },
  );
  for (const [name, built] of Object.entries(next)) {
    const old = join(cli, `dist/${name}.old-${process.pid}`);
    try {
      renameSync(join(cli, "dist", name), old);
    } catch {
      // no bundle yet
    }
    renameSync(join(cli, built), join(cli, "dist", name));
    rmSync(old, { recursive: true, force: true });
  }
}
