// One self-contained CommonJS file of the whole CLI, for the single executable
// (Node 20's SEA runs one CommonJS script and can load no other file) and for
// the npm package (no dependencies left to install). Built from the sources
// with the "@connect-ops/source" condition, like packages/cli/rolldown.config.mjs,
// but with ssh2 and every other dependency inside.
import { build } from "rolldown";

// Where the CLI's modules look for their package.json: a URL under a root that
// exists nowhere, so nothing on the host is ever read in its place.
const VIRTUAL_ROOT = "file:///connect-ops-release/";
const CLI_MANIFEST = `${VIRTUAL_ROOT}packages/cli/package.json`;

/**
 * The CLI reads its version from package.json relative to `import.meta.url`
 * (main.ts for --version, verify-cleanup for the audit report's `tool`). In a
 * CommonJS bundle there is no such file beside the code: each module that uses
 * `import.meta.url` gets its source path under VIRTUAL_ROOT instead, and its
 * `node:fs` and `node:fs/promises` imports get a wrapper that answers that one
 * path with the release's manifest (every other path goes to the real fs).
 */
function packageJsonOverlay(repoRoot, manifest) {
  const readers = new Set();
  const body = JSON.stringify(JSON.stringify(manifest));
  const url = JSON.stringify(CLI_MANIFEST);
  const path = JSON.stringify(new URL(CLI_MANIFEST).pathname);
  const isManifest = `const isManifest = (path) => (path instanceof URL ? path.href : String(path)) === ${url} || String(path) === ${path};`;
  return {
    name: "connect-ops-release-package-json",
    transform(code, id) {
      if (!id.startsWith(repoRoot) || id.includes("/node_modules/") || !code.includes("import.meta.url"))
        return undefined;
      readers.add(id);
      const url = JSON.stringify(`${VIRTUAL_ROOT}${id.slice(repoRoot.length)}`);
      return { code: code.replaceAll("import.meta.url", url), map: null };
    },
    resolveId(source, importer) {
      if (importer === undefined || !readers.has(importer)) return undefined;
      if (source === "node:fs" || source === "fs") return "\0release-fs";
      if (source === "node:fs/promises" || source === "fs/promises") return "\0release-fs-promises";
      return undefined;
    },
    load(id) {
      if (id === "\0release-fs") {
        return `import * as fs from "node:fs";\nexport * from "node:fs";\n${isManifest}\nexport function readFileSync(path, options) { return isManifest(path) ? ${body} : fs.readFileSync(path, options); }\n`;
      }
      if (id === "\0release-fs-promises") {
        return `import * as fs from "node:fs/promises";\nexport * from "node:fs/promises";\n${isManifest}\nexport function readFile(path, options) { return isManifest(path) ? Promise.resolve(${body}) : fs.readFile(path, options); }\n`;
      }
      return undefined;
    },
  };
}

/**
 * ssh2's optional native parts (its crypto binding, cpu-features) are loaded with
 * guarded require() calls that fall back to pure JS: in the bundle they are
 * modules that throw, so ssh2 takes its JS path (and its inlined WebAssembly poly1305).
 */
function nativeBindingsAbsent() {
  return {
    name: "connect-ops-release-no-native",
    resolveId(source) {
      if (source.endsWith(".node") || source === "cpu-features") return `\0native-absent:${source}`;
      return undefined;
    },
    load(id) {
      if (!id.startsWith("\0native-absent:")) return undefined;
      return `throw new Error(${JSON.stringify(`${id.slice("\0native-absent:".length)} is not in the release bundle`)});\n`;
    },
  };
}

/**
 * Writes `file`: the CLI as one CommonJS script, `version` (e.g. "0.1.0 (abc1234)")
 * baked in for --version and the audit report. Returns rolldown's warnings.
 */
export async function bundleCli({ repoRoot, file, version }) {
  const warnings = [];
  await build({
    input: new URL("./entry.mjs", import.meta.url).pathname,
    platform: "node",
    cwd: repoRoot,
    resolve: { conditionNames: ["@connect-ops/source", "node", "import", "require", "default"] },
    transform: {
      target: "node20",
      define: { __CONNECT_OPS_RELEASE_VERSION__: JSON.stringify(version), __CONNECT_OPS_TEST_HOOKS__: "false" },
    },
    plugins: [
      packageJsonOverlay(repoRoot.endsWith("/") ? repoRoot : `${repoRoot}/`, { name: "connect-ops", version }),
      nativeBindingsAbsent(),
    ],
    onLog: (level, log) => {
      if (level === "warn") warnings.push(log.message);
    },
    // A SEA has no dynamic import() at all (not even of node: built-ins): every one becomes require().
    output: {
      file,
      format: "cjs",
      codeSplitting: false,
      dynamicImportInCjs: false,
      minify: true,
      sourcemap: false,
      banner: "#!/usr/bin/env node",
    },
  });
  return warnings;
}
