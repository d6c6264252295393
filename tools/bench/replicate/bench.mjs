#!/usr/bin/env node
// Replication benchmark (issue 4): 12 container nodes, interleaved runs, medians.
//   ours      whole process: tools/bench/replicate/replicate-once.mjs (our fan-out, 12 nodes)
//   openssh   xargs -P 12: per node `scp` both files to temp names, then
//             `ssh 'sync TMP && mv TMP DEST'` (the same atomic push with OpenSSH)
//   single    ours, whole process, one node
// Targets: ours ≤ 0.35 × openssh and ours ≤ 2 × single. Not a test: it reports.
// Usage: node tools/bench/replicate/bench.mjs [--runs N] [--nodes N]
// Needs the Docker engine and node image: tools/ci/docker.sh
import { execFileSync, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "../../..");
const argValue = (name, fallback) => {
  const index = process.argv.indexOf(name);
  return index >= 0 ? Number(process.argv[index + 1]) : fallback;
};
const runs = argValue("--runs", 11);
const nodeCount = argValue("--nodes", 12);
const target = "/data/user/common/github-connect";

execFileSync(join(root, "tools/ci/docker.sh"), { stdio: ["ignore", "ignore", "inherit"] });
execFileSync("npx", ["tsc", "-p", "packages/test-support/tsconfig.build.json"], { cwd: root, stdio: "inherit" });
const { NODE_IMAGE_TAG } = await import("@connect-ops/test-support");

const freePort = () =>
  new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });

const work = mkdtempSync(join(tmpdir(), "connect-ops-bench-"));
const containers = [];
const cleanup = () => {
  if (containers.length > 0) spawnSync("docker", ["rm", "-f", ...containers], { stdio: "ignore" });
  containers.length = 0;
  rmSync(work, { recursive: true, force: true });
};
process.on("SIGINT", () => {
  cleanup();
  process.exit(130);
});

try {
  const identity = join(work, "id");
  const knownHosts = join(work, "known_hosts");
  execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", identity]);
  const publicKey = execFileSync("cat", [`${identity}.pub`], { encoding: "utf8" }).trim();

  const ports = [];
  for (let index = 0; index < nodeCount; index++) {
    const port = await freePort();
    const id = execFileSync(
      "docker",
      [
        "run",
        "-d",
        "-p",
        `127.0.0.1:${port}:122`,
        "-e",
        `AUTHORIZED_KEY=${publicKey}`,
        "--label",
        "connect-ops-bench=1",
        NODE_IMAGE_TAG,
      ],
      { encoding: "utf8" },
    ).trim();
    containers.push(id);
    ports.push(port);
  }
  for (const id of containers) {
    for (let attempt = 0; attempt < 300; attempt++) {
      const logs = spawnSync("docker", ["logs", id], { encoding: "utf8" }).stderr;
      if (logs.includes("Server listening on 0.0.0.0 port 122")) break;
      spawnSync("sleep", ["0.2"]);
    }
  }
  writeFileSync(
    knownHosts,
    ports
      .map((port) =>
        execFileSync("ssh-keyscan", ["-p", String(port), "127.0.0.1"], {
          encoding: "utf8",
          stdio: ["ignore", "pipe", "ignore"],
        }),
      )
      .join(""),
  );

  // A sealed file of realistic size (an age file holding an App key and token) and its meta.
  const sealed = join(work, "credentials.age");
  writeFileSync(sealed, randomBytes(4096));
  writeFileSync(join(work, "meta.json"), `${JSON.stringify({ format: "connect-ops/vault-meta@1", generation: 1 })}\n`);
  const inventory = (count) => {
    const file = join(work, `inventory-${count}.json`);
    const nodes = ports
      .slice(0, count)
      .map((port, index) => ({ name: `node-${index + 1}`, host: "127.0.0.1", port, role: "cluster", path: target }));
    writeFileSync(file, JSON.stringify({ ssh: { identityFile: identity, knownHostsFile: knownHosts }, nodes }));
    return file;
  };
  const inventoryAll = inventory(nodeCount);
  const inventoryOne = inventory(1);
  for (const id of containers)
    execFileSync("docker", ["exec", "-u", "admin", id, "sh", "-c", `mkdir -p -m 700 ${target}`]);

  const sshOptions = `-o BatchMode=yes -o StrictHostKeyChecking=yes -o UserKnownHostsFile=${knownHosts} -i ${identity}`;
  const perNode =
    `scp -q ${sshOptions} -P "$1" ${sealed} admin@127.0.0.1:${target}/.credentials.age.tmp && ` +
    `scp -q ${sshOptions} -P "$1" ${join(work, "meta.json")} admin@127.0.0.1:${target}/.meta.json.tmp && ` +
    `ssh ${sshOptions} -p "$1" admin@127.0.0.1 'cd ${target} && sync .credentials.age.tmp .meta.json.tmp && mv .credentials.age.tmp credentials.age && mv .meta.json.tmp meta.json && sync .'`;
  const commands = {
    ours: ["node", [join(here, "replicate-once.mjs"), inventoryAll, sealed]],
    openssh: [
      "sh",
      [
        "-c",
        `printf '%s\\n' ${ports.join(" ")} | xargs -P ${nodeCount} -I{} sh -c '${perNode.replaceAll("'", "'\\''")}' _ {}`,
      ],
    ],
    single: ["node", [join(here, "replicate-once.mjs"), inventoryOne, sealed]],
  };
  const timeOnce = ([command, args]) => {
    const started = process.hrtime.bigint();
    const result = spawnSync(command, args, { cwd: root, encoding: "utf8" });
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    if (result.status !== 0) throw new Error(`${command} failed (${result.status}): ${result.stderr}`);
    return ms;
  };
  // Warm-up: first connections, page cache, and the first write to every node.
  for (const command of Object.values(commands)) timeOnce(command);
  const samples = { ours: [], openssh: [], single: [] };
  const names = Object.keys(commands);
  for (let run = 0; run < runs; run++) {
    // Rotate the order so no command always runs right after another.
    for (let offset = 0; offset < names.length; offset++) {
      const name = names[(run + offset) % names.length];
      samples[name].push(timeOnce(commands[name]));
    }
  }
  const median = (values) => {
    const sorted = [...values].sort((a, b) => a - b);
    const middle = Math.floor(sorted.length / 2);
    return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
  };
  const medians = Object.fromEntries(names.map((name) => [name, Math.round(median(samples[name]))]));
  const report = {
    nodes: nodeCount,
    runs,
    medianMs: medians,
    oursVsOpenssh: Number((medians.ours / medians.openssh).toFixed(3)),
    oursVsSingle: Number((medians.ours / medians.single).toFixed(3)),
    targets: { oursVsOpenssh: 0.35, oursVsSingle: 2 },
  };
  console.log(JSON.stringify(report, null, 2));
  const met = report.oursVsOpenssh <= 0.35 && report.oursVsSingle <= 2;
  console.log(met ? "targets met" : "targets NOT met");
} finally {
  cleanup();
}
