import { execFileSync } from "node:child_process";
import { join } from "node:path";

/**
 * The end-to-end suites run the real `connect-ops` bin, which loads the
 * bundle in packages/cli/dist. Rebuild it once per run so the suites can
 * never test a stale build of the source they sit beside.
 */
export default function buildCliBundle(): void {
  const cli = join(import.meta.dirname, "..", "..", "packages", "cli");
  execFileSync(process.execPath, [join(cli, "..", "..", "node_modules", "rolldown", "bin", "cli.mjs"), "-c", "rolldown.config.mjs"], {
    cwd: cli,
    stdio: ["ignore", "ignore", "inherit"],
  });
}
