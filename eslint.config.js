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
  // Lifecycles take ports and return data: they never reach up into the commands (which parse
  // and render), the composition root or the CommandContext. This block replaces the cli's
  // no-restricted-imports for these files, so it repeats the package rules; the syntax rule
  // catches dynamic `import("../commands/…")`, which no-restricted-imports does not see.
  {
    files: ["packages/cli/src/lifecycle/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          paths: Object.keys(order)
            .filter((other) => other !== "cli" && !order.cli.includes(other))
            .map((other) => ({
              name: `@connect-ops/${other}`,
              message: `cli may not depend on ${other}: dependencies point one way (ARCHITECTURE.md).`,
            })),
          patterns: [
            crossPackageRelative,
            {
              group: ["**/commands/*", "**/commands"],
              message: "src/lifecycle never imports src/commands: a lifecycle returns data, the command renders it.",
            },
            {
              group: ["**/wiring.js", "**/context.js"],
              message:
                "a lifecycle takes typed ports, never the CommandContext or the composition root (src/wiring.ts).",
            },
          ],
        },
      ],
      "no-restricted-syntax": [
        "error",
        {
          selector: "ImportExpression[source.value=/(^|\\/)commands\\//]",
          message: "src/lifecycle never imports src/commands (not even lazily).",
        },
        {
          selector: "ImportExpression[source.value=/(^|\\/)(wiring|context)\\.js$/]",
          message: "a lifecycle takes typed ports, never the CommandContext or src/wiring.ts.",
        },
      ],
    },
  },
  {
    files: ["packages/cli/src/**/*.ts", "packages/github-sim/src/bin.ts", "tools/**/*.ts"],
    rules: { "no-console": "off" },
  },
);
