// One lint config for the workspace. Besides typescript-eslint's recommended
// rules it keeps the package graph one-way (ARCHITECTURE.md):
// connection-core → credential-vault → replication, backup-hooks → cli.
import tseslint from "typescript-eslint";

const order = {
  "connection-core": [],
  "credential-vault": ["connection-core"],
  replication: ["connection-core", "credential-vault"],
  "backup-hooks": ["connection-core", "credential-vault"],
  "github-sim": [],
  cli: ["connection-core", "credential-vault", "replication", "backup-hooks", "github-sim"],
};

const crossPackageRelative = {
  group: ["../../*/src/*", "../../../packages/*", "**/packages/*/src/**"],
  message: "Import another package by its name (@connect-ops/…), never through its source tree.",
};

export default tseslint.config(
  { ignores: ["**/dist/**", "**/node_modules/**", "**/*.config.ts", "**/*.mjs"] },
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": "error",
      "no-console": "error",
    },
  },
  ...Object.entries(order).map(([name, allowed]) => ({
    files: [`packages/${name}/src/**/*.ts`],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          paths: Object.keys(order)
            .filter((other) => other !== name && !allowed.includes(other))
            .map((other) => ({
              name: `@connect-ops/${other}`,
              message: `${name} may not depend on ${other}: dependencies point one way (ARCHITECTURE.md).`,
            })),
          patterns: [crossPackageRelative],
        },
      ],
    },
  })),
  {
    files: ["packages/cli/src/**/*.ts", "packages/github-sim/src/bin.ts", "tools/**/*.ts"],
    rules: { "no-console": "off" },
  },
);
