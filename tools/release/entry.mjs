// Entry of the release bundle (the single executable and the npm package run
// this same file). Like packages/cli/bin/connect-ops.js, it answers a lone
// `--version` before the CLI is loaded; the build defines the version string,
// with the commit it was built from. Everything else is the CLI's main().
/* global __CONNECT_OPS_RELEASE_VERSION__ */

// `connect-ops status | head -1`: a closed pipe is the reader's choice, not an error to print.
process.stdout.on("error", (error) => {
  if (error.code === "EPIPE") process.exit(process.exitCode ?? 0);
  throw error;
});

const argv = process.argv.slice(2);
if (argv.length === 1 && (argv[0] === "--version" || argv[0] === "-V")) {
  process.stdout.write(`${__CONNECT_OPS_RELEASE_VERSION__}\n`);
} else {
  // A dynamic import: the bundle inlines it, but runs the CLI's modules only here.
  import("connect-ops").then(
    async ({ main }) => {
      process.exitCode = await main(argv);
    },
    (error) => {
      process.stderr.write(
        `error[CLI_INTERNAL]: the bundled CLI did not load: ${error instanceof Error ? error.message : String(error)} — this is a bug in the release build; report it with the output of --version\n`,
      );
      process.exitCode = 70;
    },
  );
}
