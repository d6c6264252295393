/**
 * One vitest setup for every package: tests import sibling packages through the
 * `@connect-ops/source` export condition, so they run against source, not dist.
 * Integration suites (`*.integration.test.ts`) run only when INTEGRATION=1; they
 * need the Docker engine and the node image that `.ci/run` prepares.
 * Each run writes a JSON report that `tools/test/run-tests.mjs` sums up.
 *
 * @param {string} packageDir
 */
export function sharedTestConfig(packageDir) {
  const integration = process.env.INTEGRATION === "1";
  const name = packageDir.split("/").pop() ?? "package";
  return {
    resolve: { conditions: ["@connect-ops/source", "node", "import", "default"] },
    ssr: {
      resolve: {
        conditions: ["@connect-ops/source", "node", "import", "default"],
        externalConditions: ["@connect-ops/source"],
      },
    },
    test: {
      name,
      include: ["src/**/*.test.ts"],
      exclude: integration ? ["**/node_modules/**"] : ["**/node_modules/**", "src/**/*.integration.test.ts"],
      testTimeout: integration ? 180_000 : 30_000,
      hookTimeout: integration ? 300_000 : 30_000,
      retry: 0,
      reporters: ["default", ["json", { outputFile: `../../test-results/${name}.json` }]],
    },
  };
}
