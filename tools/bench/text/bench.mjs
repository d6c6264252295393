#!/usr/bin/env node
// Text-decoder micro-benchmark (issue 13 item 2, text half): `node tools/bench/text/bench.mjs [--mb 32] [--rounds 5] [--baseline main]`.
// Builds connection-core and backup-hooks; compiles the baseline ref's backup-hooks sources (git archive) into
// packages/backup-hooks/.bench-baseline (ignored by git); then times detectSecrets of both, interleaved in one process,
// window by window as the window scanner calls it, over inputs that stand for what a snapshot holds:
//   text      words, punctuation and line breaks (logs, configs)
//   sql       a mysqldump with --hex-blob rows (0x… literals of random bytes) among quoted strings
//   base64    base64 text of random bytes wrapped at 76 columns (mail, certificates)
//   random    random bytes (compressed data)
// and prints CPU time per MB (user + system, medians; single-threaded loops, so a busy machine inflates it little)
// and this tree / baseline. Quote a figure with the load it ran under.
import { spawnSync } from "node:child_process";
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { join, resolve } from "node:path";
import { median } from "../interleave.mjs";

const repo = resolve(new URL(".", import.meta.url).pathname, "../../..");
const args = process.argv.slice(2);
const option = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const megabytes = Number(option("--mb", "32"));
const rounds = Number(option("--rounds", "5"));
const baselineRef = option("--baseline", "main");

const tsc = (project, extra = []) => {
  const build = spawnSync("npx", ["tsc", "-p", project, ...extra], { cwd: repo, encoding: "utf8" });
  if (build.status !== 0) throw new Error(`build of ${project} failed:\n${build.stdout}${build.stderr}`);
};
for (const project of ["packages/connection-core", "packages/backup-hooks"]) tsc(`${project}/tsconfig.build.json`);
const baselineDir = join(repo, "packages/backup-hooks/.bench-baseline");
rmSync(baselineDir, { recursive: true, force: true });
mkdirSync(baselineDir, { recursive: true });
const archive = spawnSync(
  "sh",
  ["-c", `git archive ${baselineRef} packages/backup-hooks/src | tar -x -C "${baselineDir}"`],
  {
    cwd: repo,
    encoding: "utf8",
  },
);
if (archive.status !== 0) throw new Error(`git archive ${baselineRef}: ${archive.stderr}`);
writeFileSync(
  join(baselineDir, "tsconfig.json"),
  JSON.stringify({
    extends: "../tsconfig.build.json",
    compilerOptions: { rootDir: "packages/backup-hooks/src", outDir: "dist", tsBuildInfoFile: "dist/.tsbuildinfo" },
    include: ["packages/backup-hooks/src/**/*.ts"],
    exclude: ["packages/backup-hooks/src/**/*.test.ts", "packages/backup-hooks/src/test-support/**"],
  }),
);
tsc(join(baselineDir, "tsconfig.json"));

const core = await import(join(repo, "packages/connection-core/dist/index.js"));
const current = (await import(join(repo, "packages/backup-hooks/dist/detect-secrets.js"))).detectSecrets;
const baseline = (await import(join(baselineDir, "dist/detect-secrets.js"))).detectSecrets;

const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
const pem = privateKey.export({ type: "pkcs1", format: "pem" }).toString();
const token = `ghs_${randomBytes(27).toString("base64url").slice(0, 36)}`;
const fingerprints = core.deriveResidueFingerprints({
  appId: 424242,
  privateKeyPem: pem,
  tokens: [token],
  saltBytes: randomBytes(16),
});
const matcher = core.createResidueMatcher([fingerprints]);

const WORDS = [
  "config",
  "user=admin",
  "path: /var/log",
  "value",
  "ok",
  "retry",
  "{",
  "}",
  "42",
  "(x)",
  "id:",
  "é",
  "\t",
];
const size = megabytes << 20;
function fill(make) {
  const parts = [];
  let length = 0;
  while (length < size) {
    const part = make();
    parts.push(part);
    length += part.length;
  }
  return Buffer.concat(parts).subarray(0, size);
}
const word = () => WORDS[Math.floor(Math.random() * WORDS.length)];
const inputs = {
  text: fill(() => Buffer.from(`${word()} ${word()}, ${word()}\n`)),
  sql: fill(() =>
    Buffer.from(
      `INSERT INTO \`blobs\` VALUES (${Math.floor(Math.random() * 1e6)},'name ${word()}',0x${randomBytes(200).toString("hex")},'it''s ${word()}');\n`,
    ),
  ),
  base64: fill(() =>
    Buffer.from(
      `${randomBytes(57 * 64)
        .toString("base64")
        .replace(/.{76}/g, "$&\n")}\n`,
    ),
  ),
  random: randomBytes(size),
};

const WINDOW = 1 << 20;
const OVERLAP = 64 * 1024;
const scan = (detect) => (data) => {
  for (let offset = 0; offset < data.length; offset += WINDOW) {
    const end = Math.min(data.length, offset + WINDOW + OVERLAP);
    const final = end === data.length;
    const nest = { depth: 0, final, opens: () => false, embedded: [], limits: new Set() };
    detect(data.subarray(offset, end), 0, Math.min(WINDOW, end - offset), end - offset, matcher, nest);
  }
};
const runs = { baseline: scan(baseline), current: scan(current) };

console.log(
  `text decoders: ${megabytes} MB per input, ${rounds} rounds, baseline ${baselineRef}, load ${loadavg()
    .map((value) => value.toFixed(2))
    .join(" ")}`,
);
for (const [inputName, data] of Object.entries(inputs)) {
  const samples = { baseline: [], current: [] };
  for (let round = 0; round < rounds + 1; round += 1)
    for (const [name, run] of Object.entries(runs)) {
      const started = process.cpuUsage();
      run(data);
      const used = process.cpuUsage(started);
      if (round > 0) samples[name].push((used.user + used.system) / 1e3 / (data.length / 1e6));
    }
  const ms = Object.fromEntries(Object.entries(samples).map(([name, values]) => [name, median(values)]));
  console.log(
    `  ${inputName.padEnd(7)} baseline ${ms.baseline.toFixed(2)} ms/MB · this tree ${ms.current.toFixed(2)} ms/MB (${(ms.current / ms.baseline).toFixed(2)}×)`,
  );
}
rmSync(baselineDir, { recursive: true, force: true });
