import { defineConfig } from "vitest/config";

// Cross-package end-to-end suites: the built CLI as a child process against
// the GitHub API simulator, real age, real tar/gzip, real sshd containers.
const integration = process.env.INTEGRATION === "1";
const conditions = ["@connect-ops/source", "node", "import", "default"];
export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: ["@connect-ops/source"] } },
  test: {
    name: "e2e",
    root: import.meta.dirname,
    include: ["**/*.test.ts"],
    exclude: integration ? ["**/node_modules/**"] : ["**/node_modules/**", "**/*.integration.test.ts"],
    testTimeout: 120_000,
    hookTimeout: 300_000,
    retry: 0,
    fileParallelism: false,
    globalSetup: ["./support/global-setup.ts"],
    // Leak canary (issue 8): after each test, scans output, child argv and scratch files for issued secrets.
    setupFiles: ["./support/canary.ts"],
    reporters: ["default", ["json", { outputFile: "../test-results/e2e.json" }]],
  },
});
