// Bundles the CLI (and the workspace packages, zod, commander…) into a few
// files: loading ~200 ESM modules one by one costs Node far more than their
// execution, and `--version`/`token`/`status --offline` must start fast.
// Dynamic imports stay lazy chunks, so age, octokit, tar load only when used.
import { rmSync } from "node:fs";
import { defineConfig } from "rolldown";

// Where the bundle goes (test setup builds elsewhere, then swaps it in).
const outDir = process.env.CONNECT_OPS_BUNDLE_DIR ?? "dist/bundle";
// Start from an empty directory: chunk names carry hashes, and stale chunks must never ship.
rmSync(new URL(`./${outDir}`, import.meta.url), { recursive: true, force: true });

export default defineConfig({
  input: { main: "src/main.ts" },
  platform: "node",
  // Node 20 has no `using` syntax: lower it (and anything newer) for the runtime we support.
  transform: { target: "node20" },
  resolve: { conditionNames: ["@connect-ops/source", "node", "import", "default"] },
  // ssh2 loads optional native bindings with guarded require() calls; it stays a real dependency.
  external: [/^ssh2(\/|$)/, /^cpu-features/],
  output: {
    dir: outDir,
    format: "esm",
    entryFileNames: "[name].mjs",
    chunkFileNames: "chunks/[name]-[hash].mjs",
    sourcemap: true,
    minify: true,
  },
});
