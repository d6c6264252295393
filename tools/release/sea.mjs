// The single executable: Node's single executable applications (SEA). The
// bundle becomes a preparation blob, injected with postject into a copy of the
// node binary that runs this build, so the result needs no Node on the host.
import { execFileSync } from "node:child_process";
import { chmodSync, copyFileSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import postject from "postject";

// The fuse Node looks for to know a blob was injected (doc/api/single-executable-applications.md).
const SEA_FUSE = "NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2";

/** Writes the executable `file` running `bundle` (one CommonJS script); `workDir` holds the blob and its config. */
export async function buildSingleExecutable({ bundle, file, workDir }) {
  const config = join(workDir, "sea-config.json");
  const blob = join(workDir, "sea-prep.blob");
  writeFileSync(
    config,
    JSON.stringify({
      main: bundle,
      output: blob,
      disableExperimentalSEAWarning: true,
      // V8's compiled code travels in the blob: start-up skips compiling the bundle.
      useCodeCache: true,
    }),
  );
  // Quiet on success (Node announces the blob on stderr); a failure throws with what Node printed.
  execFileSync(process.execPath, ["--experimental-sea-config", config], { stdio: "pipe" });
  copyFileSync(process.execPath, file);
  chmodSync(file, 0o755);
  // LIEF inside postject prints "warning: Can't find string offset for section name '.note.100'"
  // for Node's ELF; harmless: test/release.test.ts runs the result (see nodejs/postject#83).
  await postject.inject(file, "NODE_SEA_BLOB", readFileSync(blob), { sentinelFuse: SEA_FUSE });
}
