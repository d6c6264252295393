// Issue 3: `connect-ops token` on a cache hit and `connect-ops status --offline
// --json` each ≤ 2× `node -e 0` start-up (median, interleaved). Neither may
// decrypt the vault or reach the cloud: expiry and fingerprints are in meta.json.
import { spawn, spawnSync } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { interleave, report } from "../interleave.mjs";

const root = new URL("../../..", import.meta.url).pathname;
const bin = join(root, "packages", "cli", "bin", "connect-ops.js");
const dir = mkdtempSync(join(tmpdir(), "bench-token-"));
const sim = spawn(process.execPath, [join(root, "packages", "github-sim", "bin", "github-sim.js"), "--port", "0"], {
  stdio: ["ignore", "pipe", "inherit"],
});
try {
  const url = await new Promise((resolve) =>
    sim.stdout.once("data", (chunk) => resolve(chunk.toString().split("\n")[0])),
  );
  const { publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  writeFileSync(
    join(dir, "license.json"),
    JSON.stringify({ customer_name: "Bench", public_key: publicKey.export({ type: "spki", format: "pem" }) }),
  );
  const env = {
    ...process.env,
    CONNECT_OPS_STATE_DIR: join(dir, "state"),
    CONNECT_OPS_CLOUD_TOKEN: `ghp_${"b".repeat(36)}`,
  };
  const run = (args) => {
    const result = spawnSync(process.execPath, [bin, ...args], { env, encoding: "utf8" });
    if (result.status !== 0) throw new Error(`connect-ops ${args[0]} failed: ${result.stderr}`);
  };
  run(["init"]);
  run([
    "connect",
    "--cloud-url",
    url,
    "--hostname",
    "ghes.bench.example",
    "--ghes-version",
    "3.14.2",
    "--license",
    join(dir, "license.json"),
    "--account",
    "enterprise:bench",
  ]);
  const benchEnv = { CONNECT_OPS_STATE_DIR: env.CONNECT_OPS_STATE_DIR };
  const medians = interleave(
    [
      { name: "node -e 0", command: process.execPath, args: ["-e", "0"] },
      { name: "connect-ops token (cache hit)", command: process.execPath, args: [bin, "token"], env: benchEnv },
      {
        name: "connect-ops status --offline --json",
        command: process.execPath,
        args: [bin, "status", "--offline", "--json"],
        env: benchEnv,
      },
    ],
    { rounds: 30 },
  );
  report("token and status start-up (interleaved, 30 rounds)", medians, "node -e 0", {
    "connect-ops token (cache hit)": 2,
    "connect-ops status --offline --json": 2,
  });
} finally {
  sim.kill();
  rmSync(dir, { recursive: true, force: true });
}
