// The npm package: the same one-file bundle as the single executable, with a
// manifest that has no dependencies, so `npm install -g --offline` needs nothing
// from a registry or a cache.
import { execFileSync } from "node:child_process";
import { chmodSync, mkdirSync, copyFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/**
 * The bin: a lone `--version` is answered before the 1.2 MB bundle is even
 * parsed (that parse is most of the cost of a version probe); anything else
 * runs the bundle, which reads process.argv itself.
 */
function binStub(versionText) {
  return `#!/usr/bin/env node
"use strict";
const argv = process.argv.slice(2);
if (argv.length === 1 && (argv[0] === "--version" || argv[0] === "-V")) process.stdout.write(${JSON.stringify(`${versionText}\n`)});
else require("../lib/connect-ops.cjs");
`;
}

/**
 * Packs `bundle` as connect-ops@`version` into `outDir` with `npm pack`;
 * `manifest` is packages/cli's package.json (description, engines);
 * `versionText` is what --version prints. Returns the tarball's file name.
 */
export function packNpmPackage({ bundle, manifest, version, versionText, outDir, workDir }) {
  const root = join(workDir, "package");
  mkdirSync(join(root, "bin"), { recursive: true });
  mkdirSync(join(root, "lib"), { recursive: true });
  copyFileSync(bundle, join(root, "lib", "connect-ops.cjs"));
  writeFileSync(join(root, "bin", "connect-ops.cjs"), binStub(versionText));
  chmodSync(join(root, "bin", "connect-ops.cjs"), 0o755);
  const published = {
    name: manifest.name,
    version,
    description: manifest.description,
    license: manifest.license,
    engines: manifest.engines,
    bin: { "connect-ops": "bin/connect-ops.cjs" },
    files: ["bin", "lib"],
  };
  writeFileSync(join(root, "package.json"), `${JSON.stringify(published, null, 2)}\n`);
  const [packed] = JSON.parse(
    execFileSync("npm", ["pack", "--json", "--pack-destination", outDir], { cwd: root, encoding: "utf8" }),
  );
  return packed.filename;
}
