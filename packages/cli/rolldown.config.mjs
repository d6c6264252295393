// Bundles the CLI (and the workspace packages, zod, commander…) into a few
// files: loading ~200 ESM modules one by one costs Node far more than their
// execution, and `--version`/`token`/`status --offline` must start fast.
// Dynamic imports stay lazy chunks, so age, octokit, tar load only when used.
import { rmSync } from "node:fs";
import { defineConfig } from "rolldown";

// Two builds of the same entry (issue 12, item 5): the production bundle the bin loads,
// with the test-only crash hook (CONNECT_OPS_FAULT_CRASH_AT) compiled out, and a test
// bundle that keeps it, for the crash suites. Where each goes: test setup builds
// elsewhere, then swaps them in.
const outDir = process.env.CONNECT_OPS_BUNDLE_DIR ?? "dist/bundle";
const testOutDir = process.env.CONNECT_OPS_TEST_BUNDLE_DIR ?? "dist/test-bundle";
// Start from empty directories: chunk names carry hashes, and stale chunks must never ship.
for (const dir of [outDir, testOutDir]) rmSync(new URL(`./${dir}`, import.meta.url), { recursive: true, force: true });

/** One build; `testHooks` is the value of `__CONNECT_OPS_TEST_HOOKS__` (src/test-hooks.ts). */
const bundle = (dir, testHooks) => ({
  // The scan thread's entry (backup-hooks scan-threads.ts finds it beside main.mjs; no file there: one thread).
  input: { main: "src/main.ts", "scan-worker": "../backup-hooks/src/scan-worker.ts" },
  // The entry's exports are nobody's API (it is run, not imported), and splitting
  // without pulling dependencies along needs the freedom to add exports to it.
  preserveEntrySignatures: "allow-extension",
  platform: "node",
  // Node 20 has no `using` syntax: lower it (and anything newer) for the runtime we support.
  transform: { target: "node20", define: { __CONNECT_OPS_TEST_HOOKS__: String(testHooks) } },
  resolve: { conditionNames: ["@connect-ops/source", "node", "import", "default"] },
  // ssh2 loads optional native bindings with guarded require() calls; it stays a real dependency.
  external: [/^ssh2(\/|$)/, /^cpu-features/],
  output: {
    dir,
    format: "esm",
    entryFileNames: "[name].mjs",
    chunkFileNames: "chunks/[name]-[hash].mjs",
    sourcemap: true,
    // The modules a token cache hit and `status --offline` run get a chunk of their
    // own, so those commands never load the zod schemas that share their packages.
    codeSplitting: {
      // Only the named modules: pulling in their dependencies would drag the package indexes (and zod) along.
      includeDependenciesRecursively: false,
      groups: [
        {
          name: "hot-path",
          test: /packages[\\/](connection-core[\\/]src[\\/](errors|errno|make-directories|temp-registry|validate|json-position|token-rules|input-file)|credential-vault[\\/]src[\\/](vault|safe-dir|meta-shape|layout|errors|lock|atomic-write|sha256|age-seal|remove-file|destroy-vault|shred-file))\.ts$/,
        },
      ],
    },
    minify: true,
  },
});

export default defineConfig([bundle(outDir, false), bundle(testOutDir, true)]);
