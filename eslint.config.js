// One lint config for the workspace: typescript-eslint's strictTypeChecked rules (type-aware,
// through the project service), and the package graph kept one-way (ARCHITECTURE.md):
// connection-core → credential-vault → replication, backup-hooks → cli. The layer table is read
// from each package.json, so a dependency is declared once: `dependencies` for production code,
// `devDependencies` too for tests. github-sim and test-support are test-only packages.
import { readdirSync, readFileSync } from "node:fs";
import tseslint from "typescript-eslint";

const packages = Object.fromEntries(
  readdirSync(new URL("./packages", import.meta.url)).map((dir) => {
    const manifest = JSON.parse(readFileSync(new URL(`./packages/${dir}/package.json`, import.meta.url), "utf8"));
    const ours = (deps) => Object.keys(deps ?? {}).filter((name) => name.startsWith("@connect-ops/"));
    return [
      dir,
      { name: manifest.name, dependencies: ours(manifest.dependencies), dev: ours(manifest.devDependencies) },
    ];
  }),
);
const ourNames = Object.values(packages)
  .map((p) => p.name)
  .filter((name) => name.startsWith("@connect-ops/"));
/** Test-only packages: production code imports them nowhere, except the CLI's demo (github-sim). */
const testOnly = new Set(["@connect-ops/test-support", "@connect-ops/github-sim"]);

const crossPackageRelative = {
  group: ["../../*/src/*", "../../../packages/*", "**/packages/*/src/**"],
  message: "Import another package by its name (@connect-ops/…), never through its source tree.",
};

/** One port for nodes: only the replication package opens SSH; the CLI reaches nodes through its transports. */
const sshOnlyInReplication = {
  name: "ssh2",
  message:
    "packages/cli opens no SSH session of its own: read and write nodes through @connect-ops/replication's transports (probes, rehearsal, enroll, verify-cleanup).",
};

/** The imports of our packages (and, for the cli, ssh2) that `dir` may not make, given what it may use. */
function forbidden(dir, allowed) {
  const self = packages[dir].name;
  const ours = ourNames
    .filter((name) => name !== self && !allowed.includes(name))
    .map((name) => ({
      name,
      message: `${dir} may not import ${name} here: declare it in package.json (dependencies for production code, devDependencies for tests) and keep the graph one-way (ARCHITECTURE.md).`,
    }));
  return dir === "cli" ? [...ours, sshOnlyInReplication] : ours;
}

/** The CLI bundles its packages, so they are devDependencies; production cli code may use them all but test-support. */
function productionAllowed(dir) {
  const p = packages[dir];
  if (dir === "cli") return p.dev.filter((name) => name !== "@connect-ops/test-support");
  return p.dependencies.filter((name) => !testOnly.has(name));
}

const testFiles = ["**/*.test.ts", "**/test-support/**/*.ts"];

export default tseslint.config(
  // *.d.mts: the hand-written types of plain-ESM tooling (tools/), which lint does not cover either.
  { ignores: ["**/dist/**", "**/node_modules/**", "**/*.config.ts", "**/*.mjs", "**/*.js", "**/*.d.mts"] },
  { linterOptions: { reportUnusedDisableDirectives: "error" } },
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": "error",
      "no-console": "error",
      // Numbers and booleans read fine in messages (`exit ${code}`, `${count} files`); objects and
      // undefined stay errors, which is what the rule is for.
      "@typescript-eslint/restrict-template-expressions": ["error", { allowNumber: true, allowBoolean: true }],
      // `() => void promise` shorthand in callbacks is the idiom of event handlers and vitest hooks.
      "@typescript-eslint/no-confusing-void-expression": ["error", { ignoreArrowShorthand: true }],
    },
  },
  ...Object.keys(packages).map((dir) => ({
    files: [`packages/${dir}/src/**/*.ts`],
    ignores: testFiles,
    rules: {
      "no-restricted-imports": [
        "error",
        { paths: forbidden(dir, productionAllowed(dir)), patterns: [crossPackageRelative] },
      ],
    },
  })),
  ...Object.keys(packages).map((dir) => ({
    files: testFiles.map((glob) => `packages/${dir}/src/${glob}`),
    rules: {
      "no-restricted-imports": [
        "error",
        {
          paths: forbidden(dir, [...packages[dir].dependencies, ...packages[dir].dev]),
          patterns: [crossPackageRelative],
        },
      ],
    },
  })),
  // Lifecycles take ports and return data, and flows are the helpers they share: neither reaches
  // up into the commands (which parse and render), the composition root (src/wiring/) or the
  // CommandContext. This block replaces the cli's no-restricted-imports for these files, so it
  // repeats the package rules; the syntax rule catches dynamic `import("../commands/…")`, which
  // no-restricted-imports does not see.
  {
    files: ["packages/cli/src/lifecycle/**/*.ts", "packages/cli/src/flows/**/*.ts"],
    ignores: testFiles,
    rules: {
      "no-restricted-imports": [
        "error",
        {
          paths: forbidden("cli", productionAllowed("cli")),
          patterns: [
            crossPackageRelative,
            {
              group: ["**/commands/*", "**/commands"],
              message:
                "src/lifecycle and src/flows never import src/commands: a lifecycle returns data, the command renders it.",
            },
            {
              group: ["**/wiring/*", "**/wiring.js", "**/context.js"],
              message:
                "lifecycles and flows take typed ports or values, never the CommandContext or the composition root (src/wiring/).",
            },
          ],
        },
      ],
      "no-restricted-syntax": [
        "error",
        {
          selector: "ImportExpression[source.value=/(^|\\/)commands\\//]",
          message: "src/lifecycle and src/flows never import src/commands (not even lazily).",
        },
        {
          selector: "ImportExpression[source.value=/(^|\\/)(wiring\\/.*|wiring|context)\\.js$/]",
          message: "lifecycles and flows take typed ports or values, never the CommandContext or src/wiring/.",
        },
      ],
    },
  },
  {
    files: ["packages/cli/src/**/*.ts", "packages/github-sim/src/bin.ts", "tools/**/*.ts"],
    rules: { "no-console": "off" },
  },
);
