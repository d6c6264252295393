import { parseArgs } from "node:util";
import { startGitHubSim } from "./start-github-sim.js";

// `github-sim [--port N] [--profile ghes-connect|github.com] [--token-format stateless|classic] [--admin-token T] [--tls DIR]`
// The first stdout line is the base URL, so a parent process can read it and go.
const USAGE =
  "usage: github-sim [--port N] [--profile ghes-connect|github.com] [--token-format stateless|classic] [--admin-token TOKEN] [--tls DIR]";

async function main(argv: string[]): Promise<number> {
  let values: { port?: string; profile?: string; "token-format"?: string; "admin-token"?: string; tls?: string };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        port: { type: "string" },
        profile: { type: "string" },
        "token-format": { type: "string" },
        "admin-token": { type: "string" },
        tls: { type: "string" },
      },
      strict: true,
    }));
  } catch (error) {
    console.error(`github-sim: ${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  const port = Number(values.port ?? "0");
  const format = values["token-format"] ?? "stateless";
  const profile = values.profile ?? "ghes-connect";
  if (
    !Number.isInteger(port) ||
    port < 0 ||
    port > 65535 ||
    (format !== "stateless" && format !== "classic") ||
    (profile !== "ghes-connect" && profile !== "github.com") ||
    values.tls === ""
  ) {
    console.error(USAGE);
    return 2;
  }
  const sim = await startGitHubSim({
    port,
    tokenFormat: format,
    profile,
    ...(values["admin-token"] === undefined ? {} : { adminToken: values["admin-token"] }),
    ...(values.tls === undefined ? {} : { tls: values.tls }),
  });
  process.stdout.write(`${sim.url}\n`);
  await new Promise<void>((resolve) => {
    process.once("SIGTERM", resolve);
    process.once("SIGINT", resolve);
  });
  await sim.close();
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(`github-sim: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 70;
  },
);
