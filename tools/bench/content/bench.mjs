#!/usr/bin/env node
// Content-detector micro-benchmark (issue 13 item 1): `node tools/bench/content/bench.mjs [--mb 256] [--rounds 5]`.
// Builds connection-core and backup-hooks, derives a full fingerprint set (a 2048-bit key and as many
// `ghs_<APPID>_<JWT>` tokens as the piece budget keeps), then times, interleaved in one process:
//   content   detectContent alone (the byte grid and the base64-run loop) over random bytes and over base64 text
//   v1        detectSecrets with the set's v1 view (no content pieces): the detectors as they were
//   v2        detectSecrets with the v2 set: what a scan pays now
// and prints MB/s of CPU time (user + system, medians; the loops are single-threaded, so CPU time is what an idle
// machine would take, and a busy one cannot inflate it much) and v2/v1. Quote a figure with the load it ran under.
import { spawnSync } from "node:child_process";
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { loadavg } from "node:os";
import { join, resolve } from "node:path";
import { median } from "../interleave.mjs";

const repo = resolve(new URL(".", import.meta.url).pathname, "../../..");
const args = process.argv.slice(2);
const option = (name, fallback) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : fallback);
const megabytes = option("--mb", 256);
const rounds = option("--rounds", 5);

for (const project of ["packages/connection-core", "packages/backup-hooks"]) {
  const build = spawnSync("npx", ["tsc", "-p", `${project}/tsconfig.build.json`], { cwd: repo, encoding: "utf8" });
  if (build.status !== 0) throw new Error(`build of ${project} failed:\n${build.stdout}${build.stderr}`);
}
const core = await import(join(repo, "packages/connection-core/dist/index.js"));
const { detectSecrets } = await import(join(repo, "packages/backup-hooks/dist/detect-secrets.js"));
const { detectContent } = await import(join(repo, "packages/backup-hooks/dist/content-detect.js"));
const { wholeBufferScope } = await import(join(repo, "packages/backup-hooks/dist/hit.js"));

const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
const pem = privateKey.export({ type: "pkcs1", format: "pem" }).toString();
const jwt = () =>
  `ghs_424242_${randomBytes(27).toString("base64url")}.${randomBytes(120).toString("base64url")}.${randomBytes(256).toString("base64url")}`;
const tokens = Array.from({ length: 60 }, jwt);
const v2 = core.deriveResidueFingerprints({ appId: 424242, privateKeyPem: pem, tokens, saltBytes: randomBytes(16) });
const { content: _content, ...v1 } = v2;
const pieces = v2.content.secrets.reduce((sum, secret) => sum + core.pieceOffsets(secret.length).length, 0);
const matchers = { v1: core.createResidueMatcher([v1]), v2: core.createResidueMatcher([v2]) };

const WINDOW = 1 << 20;
const inputs = {
  random: randomBytes(megabytes << 20),
  base64: Buffer.from(randomBytes((megabytes << 20) * 0.75).toString("base64")),
};
const runs = {
  content: (data) => {
    for (let offset = 0; offset < data.length; offset += WINDOW)
      detectContent(
        wholeBufferScope(data.subarray(offset, Math.min(data.length, offset + WINDOW + 4096)), matchers.v2),
      );
  },
  v1: (data) => {
    for (let offset = 0; offset < data.length; offset += WINDOW) {
      const end = Math.min(data.length, offset + WINDOW + 4096);
      detectSecrets(data.subarray(offset, end), 0, Math.min(WINDOW, end - offset), end - offset, matchers.v1);
    }
  },
  v2: (data) => {
    for (let offset = 0; offset < data.length; offset += WINDOW) {
      const end = Math.min(data.length, offset + WINDOW + 4096);
      detectSecrets(data.subarray(offset, end), 0, Math.min(WINDOW, end - offset), end - offset, matchers.v2);
    }
  },
};

console.log(
  `content detector: ${pieces} pieces (key + ${v2.content.secrets.length - 6} JWT tokens), ${megabytes} MB per input, ${rounds} rounds, load ${loadavg()
    .map((value) => value.toFixed(2))
    .join(" ")}`,
);
for (const [inputName, data] of Object.entries(inputs)) {
  const samples = Object.fromEntries(Object.keys(runs).map((name) => [name, []]));
  for (let round = 0; round < rounds + 1; round += 1)
    for (const [name, run] of Object.entries(runs)) {
      const started = process.cpuUsage();
      run(data);
      const used = process.cpuUsage(started);
      const seconds = (used.user + used.system) / 1e6;
      if (round > 0) samples[name].push(data.length / 1e6 / seconds);
    }
  const mbps = Object.fromEntries(Object.entries(samples).map(([name, values]) => [name, median(values)]));
  console.log(
    `  ${inputName.padEnd(7)} content ${mbps.content.toFixed(0)} MB/s · detectSecrets v1 ${mbps.v1.toFixed(0)} MB/s, v2 ${mbps.v2.toFixed(0)} MB/s (v2 takes ${(mbps.v1 / mbps.v2).toFixed(2)}× v1)`,
  );
}
