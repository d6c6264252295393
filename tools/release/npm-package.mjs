// The npm package: the same one-file bundle as the single executable, with a
// manifest that has no dependencies, so `npm install -g --offline` needs nothing
// from a registry or a cache.
import { execFileSync } from "node:child_process";
import { chmodSync, mkdirSync, copyFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/**
 * Packs `bundle` as connect-ops@`version` into `outDir` with `npm pack`;
 * `manifest` is packages/cli's package.json (description, engines).
 * Returns the tarball's file name.
 */
export function packNpmPackage({ bundle, manifest, version, outDir, workDir }) {
  const root = join(workDir, "package");
  mkdirSync(join(root, "bin"), { recursive: true });
  copyFileSync(bundle, join(root, "bin", "connect-ops.cjs"));
  chmodSync(join(root, "bin", "connect-ops.cjs"), 0o755);
  const published = {
    name: manifest.name,
    version,
    description: manifest.description,
    license: manifest.license,
    engines: manifest.engines,
    bin: { "connect-ops": "bin/connect-ops.cjs" },
    files: ["bin"],
  };
  writeFileSync(join(root, "package.json"), `${JSON.stringify(published, null, 2)}\n`);
  const [packed] = JSON.parse(
    execFileSync("npm", ["pack", "--json", "--pack-destination", outDir], { cwd: root, encoding: "utf8" }),
  );
  return packed.filename;
}
