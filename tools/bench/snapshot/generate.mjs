#!/usr/bin/env node
// Deterministic generator of a backup-utils snapshot for the residue-scan
// benchmark: `node tools/bench/snapshot/generate.mjs OUTDIR [--size-gb 1.5]`.
// Writes OUTDIR/data/<ts>/ (+ an older snapshot hard-linking repositories/ and
// a `current` link), OUTDIR/needles (plaintext needles for rg -F -f),
// OUTDIR/fingerprints.json (what our scanner uses) and OUTDIR/expected.json
// (every planted location). Generated data never belongs in git: use /tmp or .bench/.
import { execFileSync } from "node:child_process";
import { createWriteStream, mkdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { once } from "node:events";
import { dirname, join, resolve } from "node:path";
import { createGzip } from "node:zlib";
import { chooser, deterministicRsaPem, keystream } from "./deterministic.mjs";

const args = process.argv.slice(2);
const outArg = args.find((arg) => !arg.startsWith("--"));
const outDir = outArg && resolve(outArg);
const sizeIndex = args.indexOf("--size-gb");
const sizeGb = sizeIndex === -1 ? 1.5 : Number(args[sizeIndex + 1]);
if (!outDir || !(sizeGb > 0)) {
  console.error("usage: generate.mjs OUTDIR [--size-gb 1.5]");
  process.exit(2);
}
const scale = sizeGb / 1.5;
const MB = 1024 * 1024;
const SNAPSHOT_ID = "20261101T020000";
const OLD_ID = "20261031T020000";
const dataDir = join(outDir, "data");
const snapshot = join(dataDir, SNAPSHOT_ID);
const oldSnapshot = join(dataDir, OLD_ID);
const expected = [];

rmSync(outDir, { recursive: true, force: true });
mkdirSync(snapshot, { recursive: true });

// --- credentials (deterministic) -------------------------------------------
const pem = deterministicRsaPem("connect-ops-bench");
const credRandom = chooser("tokens");
const ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const B64U = `${ALNUM}-_`;
const str = (alphabet, n) => Array.from({ length: n }, () => alphabet[credRandom.int(alphabet.length)]).join("");
const classicToken = `ghs_${str(ALNUM, 36)}`;
const jwtToken = `ghs_424242_${str(B64U, 36)}.${str(B64U, 160)}.${str(B64U, 342)}`;
const pemLines = pem.split("\n").filter((line) => line && !line.startsWith("-----"));
const { deriveResidueFingerprints } = await import("@connect-ops/connection-core");
const fingerprints = deriveResidueFingerprints({
  appId: 424242,
  privateKeyPem: pem,
  tokens: [classicToken, jwtToken],
  saltBytes: Buffer.alloc(16, 7),
});

const write = (relative, content) => {
  const path = join(snapshot, relative);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, content);
};
const plant = (path, form, encoding, member) => expected.push({ path, ...(member ? { member } : {}), form, encoding });

async function streamFile(relative, totalBytes, produce) {
  const path = join(snapshot, relative);
  mkdirSync(dirname(path), { recursive: true });
  const out = createWriteStream(path);
  let written = 0;
  while (written < totalBytes) {
    const chunk = produce(Math.min(4 * MB, totalBytes - written), written);
    written += chunk.length;
    if (!out.write(chunk)) await once(out, "drain");
  }
  out.end();
  await once(out, "finish");
}

// --- bulk: packs and blobs of random bytes ---------------------------------
const random = keystream("bulk");
const packSizes = [100, 150, 200].map((size) => Math.round(size * scale * MB));
for (const [index, size] of packSizes.entries()) {
  const plantAt = Math.floor(size * 0.61);
  await streamFile(`repositories/3/nw/3a/packs/pack-${index}.pack`, size, (length, offset) => {
    const chunk = random(length);
    if (index === 1 && plantAt >= offset && plantAt < offset + length - 100)
      chunk.write(classicToken, plantAt - offset, "latin1");
    return chunk;
  });
}
plant("repositories/3/nw/3a/packs/pack-1.pack", "token", "raw");
for (let index = 0; index < 20; index += 1) {
  await streamFile(`storage/blobs/${String(index).padStart(2, "0")}/blob.bin`, Math.round(25 * scale * MB), (length) =>
    random(length),
  );
}

// --- thousands of small repository files ----------------------------------
const words =
  "the of and to in is was for on that with as by at from repo commit branch merge pull request issue fix add update remove test build deploy config user team org".split(
    " ",
  );
const text = chooser("text");
const sentence = (n) => Array.from({ length: n }, () => text.pick(words)).join(" ");
const smallCount = Math.round(8000 * scale);
for (let index = 0; index < smallCount; index += 1) {
  const size = 1024 + text.int(30 * 1024);
  const relative = `repositories/${index % 16}/${(index >> 4) % 64}/repo-${index}.git/${index % 3 === 0 ? "objects/blob" : "description"}`;
  write(relative, index % 3 === 0 ? random(size) : `${sentence(Math.floor(size / 6))}\n`);
}
write(
  "repositories/7/7/repo-connect.git/config",
  `[core]\n\trepositoryformatversion = 0\n[remote "origin"]\n\turl = https://x-access-token:${classicToken}@github.com/org/repo.git\n`,
);
plant("repositories/7/7/repo-connect.git/config", "token", "raw");

// --- audit log: JSON lines --------------------------------------------------
{
  const target = Math.round(120 * scale * MB);
  const special = new Map([
    [0.2, JSON.stringify({ action: "integration.token", token: jwtToken })],
    [
      0.5,
      JSON.stringify({
        action: "debug.dump",
        blob: `-----BEGIN RSA PRIVATE KEY-----${pemLines.join("")}-----END RSA PRIVATE KEY-----`,
      }),
    ],
    [0.8, JSON.stringify({ action: "debug.fragment", line: pemLines[5] })],
  ]);
  const marks = [...special.keys()];
  await streamFile("audit-log/audit.jsonl", target, (length, offset) => {
    const lines = [];
    let size = 0;
    while (size < length - 400) {
      const mark = marks.find((value) => special.has(value) && offset + size >= value * target);
      let line;
      if (mark !== undefined && special.has(mark)) {
        line = special.get(mark);
        special.delete(mark);
      } else {
        line = JSON.stringify({
          "@timestamp": 1_762_000_000_000 + offset + size,
          action: text.pick(["repo.access", "git.clone", "org.update_member", "oauth_access.create"]),
          actor: `user${text.int(5000)}`,
          repo: `org/repo-${text.int(900)}`,
          hashed_token: random(32).toString("base64"),
          ...(text.int(100) === 0 ? { sha512: random(48).toString("base64") } : {}),
          note: sentence(6 + text.int(10)),
        });
      }
      lines.push(line);
      size += line.length + 1;
    }
    return Buffer.from(`${lines.join("\n")}\n`.padEnd(length, " "), "latin1").subarray(0, length);
  });
  plant("audit-log/audit.jsonl", "token", "raw");
  plant("audit-log/audit.jsonl", "pem-key", "one-line");
  plant("audit-log/audit.jsonl", "pem-line", "raw");
}

// --- mysql.sql.gz: SQL text, ~200 MB compressed -----------------------------
{
  const targetCompressed = Math.round(200 * scale * MB);
  const path = join(snapshot, "mysql.sql.gz");
  const gzip = createGzip({ level: 6 });
  const out = createWriteStream(path);
  gzip.pipe(out);
  let compressed = 0;
  gzip.on("data", (chunk) => (compressed += chunk.length));
  const plants = [
    `INSERT INTO \`integration_keys\` VALUES (1,424242,'${pem.replace(/\n/g, "\\n")}');`,
    `INSERT INTO \`integration_tokens\` VALUES (1,'${jwtToken}','${classicToken}');`,
    `INSERT INTO \`legacy_settings\` VALUES ('connect','${pem.replace(/\n/g, "\\\\n")}');`,
    `INSERT INTO \`crlf_settings\` VALUES ('connect','${pem.replace(/\n/g, "\\r\\n")}');`,
    `INSERT INTO \`blobs\` VALUES ('key','${Buffer.from(pem).toString("base64")}');`,
  ];
  let row = 0;
  let batchIndex = 0;
  while (compressed < targetCompressed) {
    const rows = [];
    for (let count = 0; count < 2000; count += 1) {
      row += 1;
      rows.push(
        `INSERT INTO \`issues\` VALUES (${row},${text.int(90000)},'${sentence(4 + text.int(8))}','${random(20).toString("hex")}','2026-10-${String(1 + text.int(28)).padStart(2, "0")} 0${text.int(9)}:00:00','${sentence(10 + text.int(40)).replace(/ is /g, "\\n")}');`,
      );
    }
    if (batchIndex % 400 === 5 && plants.length > 0) rows.push(plants.shift());
    batchIndex += 1;
    if (!gzip.write(`${rows.join("\n")}\n`)) await once(gzip, "drain");
  }
  for (const remaining of plants) gzip.write(`${remaining}\n`);
  gzip.end();
  await once(out, "finish");
  plant("mysql.sql.gz", "pem-key", "escaped");
  plant("mysql.sql.gz", "token", "raw");
  plant("mysql.sql.gz", "pem-key", "double-escaped");
  plant("mysql.sql.gz", "pem-key", "base64");
}

// --- small secret files, settings, tarballs ---------------------------------
write("version", "v3.10.0\n");
write("strategy", "rsync\n");
write("manage-password", "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA\n");
write("connect-app-private-key", pem);
plant("connect-app-private-key", "pem-key", "raw");
write(
  "settings.json",
  `${JSON.stringify({ "github-connect": { enabled: true, private_key: pem, token: classicToken } }, null, 2)}\n`,
);
plant("settings.json", "pem-key", "escaped");
plant("settings.json", "token", "raw");
write("storage/notes/crlf.txt", `notes\r\n${pem.replace(/\n/g, "\r\n")}`);
plant("storage/notes/crlf.txt", "pem-key", "crlf");
write(
  "hookshot/secrets.b64",
  `token: ${Buffer.from(classicToken).toString("base64")}\nkey: ${Buffer.from(pem).toString("base64")}\n`,
);
plant("hookshot/secrets.b64", "token", "base64");
plant("hookshot/secrets.b64", "pem-key", "base64");
write("elasticsearch/blob.bin", random(Math.round(40 * scale * MB)));
const staging = join(outDir, "staging");
// Fixed metadata so the tarballs are byte-identical on every run.
const TAR_FLAGS = ["--mtime=@1761962400", "--owner=0", "--group=0", "--numeric-owner", "--sort=name"];
const stage = (relative, content) => {
  mkdirSync(dirname(join(staging, relative)), { recursive: true });
  writeFileSync(join(staging, relative), content);
};
stage("ssh/etc/github/connect-token", `${jwtToken}\n`);
stage("ssh/etc/ssh/ssh_host_rsa_key.pub", "ssh-rsa AAAAB3NzaC1yc2E bench\n");
execFileSync("tar", [...TAR_FLAGS, "-cf", join(snapshot, "ssh-host-keys.tar"), "-C", join(staging, "ssh"), "etc"]);
plant("ssh-host-keys.tar", "token", "raw", "etc/github/connect-token");
stage("inner/connect/key.pem", pem);
stage("inner/connect/filler.bin", random(2 * MB));
mkdirSync(join(staging, "saml"), { recursive: true });
execFileSync("tar", [...TAR_FLAGS, "-cf", join(staging, "saml/inner.tar"), "-C", join(staging, "inner"), "connect"]);
execFileSync("gzip", ["-n", join(staging, "saml/inner.tar")]);
stage("saml/idp.crt", "-----BEGIN CERTIFICATE-----\nMIIBbench\n-----END CERTIFICATE-----\n");
execFileSync("tar", [
  ...TAR_FLAGS,
  "-cf",
  join(snapshot, "saml-keys.tar"),
  "-C",
  join(staging, "saml"),
  "idp.crt",
  "inner.tar.gz",
]);
plant("saml-keys.tar", "pem-key", "raw", "inner.tar.gz!connect/key.pem");
stage("ca/ca.pem", "-----BEGIN CERTIFICATE-----\nMIIBca\n-----END CERTIFICATE-----\n");
execFileSync("tar", [
  ...TAR_FLAGS,
  "-cf",
  join(snapshot, "ssl-ca-certificates.tar"),
  "-C",
  join(staging, "ca"),
  "ca.pem",
]);
rmSync(staging, { recursive: true, force: true });

// --- older snapshot sharing repositories/ by hard link, and `current` -------
execFileSync("sh", ["-c", `cd "${snapshot}" && find repositories -type d -exec mkdir -p "${oldSnapshot}/{}" \\;`]);
execFileSync("sh", ["-c", `cd "${snapshot}" && find repositories -type f -exec ln {} "${oldSnapshot}/{}" \\;`]);
writeFileSync(join(oldSnapshot, "version"), "v3.10.0\n");
symlinkSync(SNAPSHOT_ID, join(dataDir, "current"));

writeFileSync(
  join(outDir, "needles"),
  `${[classicToken, jwtToken, ...pemLines.filter((line) => line.length >= 32)].join("\n")}\n`,
  { mode: 0o600 },
);
writeFileSync(join(outDir, "fingerprints.json"), `${JSON.stringify(fingerprints, null, 2)}\n`);
writeFileSync(
  join(outDir, "expected.json"),
  `${JSON.stringify({ snapshot: `data/${SNAPSHOT_ID}`, plants: expected }, null, 2)}\n`,
);
const total = execFileSync("du", ["-sb", snapshot], { encoding: "utf8" }).split("\t")[0];
console.log(JSON.stringify({ snapshot, bytes: Number(total), plants: expected.length }));
