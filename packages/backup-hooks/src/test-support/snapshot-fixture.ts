import { execFileSync } from "node:child_process";
import { testdirSync, type TestDir } from "@connect-ops/test-support";
import { chmodSync, linkSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { randomBytes } from "node:crypto";
import type { TestCredentials } from "./credentials.js";

export function run(command: string, args: string[], cwd?: string): string {
  return execFileSync(command, args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

export function write(path: string, content: string | Buffer): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, content);
}

/** A temp dir removed by `[Symbol.dispose]` (hold it with `using`), even after a test made parts of it unreadable. */
export function tempDir(prefix = "backup-hooks-"): TestDir {
  return testdirSync({ prefix });
}

export const OLD_ID = "20250101T010000";
export const NEW_ID = "20250102T010000";

/** Builds a `.tar` from files in a staging dir with real GNU tar. */
export function gnuTar(archive: string, stagingDir: string, members: string[]): void {
  mkdirSync(dirname(archive), { recursive: true });
  run("tar", ["-cf", archive, "-C", stagingDir, ...members]);
}

export function gzipFile(path: string): string {
  run("gzip", ["-n", "-f", path]);
  return `${path}.gz`;
}

export interface PlantedSnapshots {
  readonly dataDir: string;
  readonly oldSnapshot: string;
  readonly newSnapshot: string;
  /** Relative paths (in the new snapshot) and members where something was planted. */
  readonly plants: ReadonlyArray<{ path: string; member?: string; form: string; encoding: string }>;
}

function sqlDump(credentials: TestCredentials): string {
  const escaped = credentials.pem.replace(/\n/g, "\\n");
  const doubleEscaped = credentials.pem.replace(/\n/g, "\\\\n");
  const crlfEscaped = credentials.pem.replace(/\n/g, "\\r\\n");
  const rows = Array.from(
    { length: 200 },
    (_, index) => `INSERT INTO \`users\` VALUES (${index},'user${index}','${randomBytes(8).toString("hex")}');`,
  );
  return [
    "-- MySQL dump",
    ...rows.slice(0, 100),
    `INSERT INTO \`integrations\` VALUES (1,'${escaped}','${credentials.jwtToken}');`,
    `INSERT INTO \`oauth\` VALUES (2,'${doubleEscaped}');`,
    ...rows.slice(100),
    `INSERT INTO \`legacy\` VALUES (3,'${crlfEscaped}');`,
    "",
  ].join("\n");
}

/**
 * Two backup-utils snapshots sharing hard-linked repository files, a relative
 * `current` link, and the credentials planted in every form and place.
 */
export function buildPlantedSnapshots(root: string, credentials: TestCredentials): PlantedSnapshots {
  const dataDir = join(root, "data");
  const oldSnapshot = join(dataDir, OLD_ID);
  const newSnapshot = join(dataDir, NEW_ID);
  const staging = join(root, "staging");
  // Older snapshot: bulk data later hard-linked by rsync --link-dest.
  write(join(oldSnapshot, "repositories/a/b/pack.pack"), randomBytes(200_000));
  write(join(oldSnapshot, "repositories/a/b/config"), `[core]\n\tsecret = ${credentials.classicToken}\n`);
  write(join(oldSnapshot, "version"), "v3.10.0\n");
  mkdirSync(join(newSnapshot, "repositories/a/b"), { recursive: true });
  linkSync(join(oldSnapshot, "repositories/a/b/pack.pack"), join(newSnapshot, "repositories/a/b/pack.pack"));
  linkSync(join(oldSnapshot, "repositories/a/b/config"), join(newSnapshot, "repositories/a/b/config"));
  write(join(newSnapshot, "version"), "v3.10.0\n");
  write(join(newSnapshot, "strategy"), "rsync\n");
  // Plain file, one-per-secret like backup-secret does.
  write(join(newSnapshot, "connect-app-private-key"), credentials.pem);
  write(join(newSnapshot, "storage/notes.txt"), `notes\r\n${credentials.pem.replace(/\n/g, "\r\n")}end\r\n`);
  write(
    join(newSnapshot, "settings.json"),
    JSON.stringify({ github_connect: { private_key: credentials.pem, app_id: 424242 } }, null, 2),
  );
  write(
    join(newSnapshot, "hookshot/encoded.b64"),
    `token-b64: ${Buffer.from(credentials.classicToken).toString("base64")}\n`,
  );
  write(join(staging, "pem.txt"), credentials.pem);
  write(join(newSnapshot, "hookshot/key.b64"), run("base64", [join(staging, "pem.txt")]));
  const oneLine = credentials.pem
    .split("\n")
    .filter((line) => !line.startsWith("-----"))
    .join("");
  write(
    join(newSnapshot, "audit-log/one-line.log"),
    `{"event":"x","blob":"-----BEGIN RSA PRIVATE KEY-----${oneLine}-----END RSA PRIVATE KEY-----"}\n`,
  );
  write(join(newSnapshot, "audit-log/fragment.log"), `{"event":"y","line":"${credentials.pemLines[3]}"}\n`);
  // Tar member.
  write(join(staging, "ssh/etc/github/connect-token"), `${credentials.classicToken}\n`);
  write(join(staging, "ssh/etc/ssh/ssh_host_rsa_key.pub"), "ssh-rsa AAAA test\n");
  gnuTar(join(newSnapshot, "ssh-host-keys.tar"), join(staging, "ssh"), ["etc"]);
  // Nested .tar.gz inside a .tar.
  write(join(staging, "inner/connect/key.pem"), credentials.pem);
  gnuTar(join(staging, "saml/inner.tar"), join(staging, "inner"), ["connect"]);
  gzipFile(join(staging, "saml/inner.tar"));
  write(join(staging, "saml/idp.crt"), "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n");
  gnuTar(join(newSnapshot, "saml-keys.tar"), join(staging, "saml"), ["idp.crt", "inner.tar.gz"]);
  // gz stream of SQL text.
  write(join(newSnapshot, "mysql.sql"), sqlDump(credentials));
  gzipFile(join(newSnapshot, "mysql.sql"));
  symlinkSync("../settings.json", join(newSnapshot, "hookshot/settings-link"));
  symlinkSync(NEW_ID, join(dataDir, "current"));
  chmodSync(join(newSnapshot, "connect-app-private-key"), 0o640);
  rmSync(staging, { recursive: true, force: true });
  return {
    dataDir,
    oldSnapshot,
    newSnapshot,
    plants: [
      { path: "connect-app-private-key", form: "pem-key", encoding: "raw" },
      { path: "storage/notes.txt", form: "pem-key", encoding: "crlf" },
      { path: "settings.json", form: "pem-key", encoding: "escaped" },
      { path: "hookshot/encoded.b64", form: "token", encoding: "base64" },
      { path: "hookshot/key.b64", form: "pem-key", encoding: "base64" },
      { path: "audit-log/one-line.log", form: "pem-key", encoding: "one-line" },
      { path: "audit-log/fragment.log", form: "pem-line", encoding: "raw" },
      { path: "repositories/a/b/config", form: "token", encoding: "raw" },
      { path: "ssh-host-keys.tar", member: "etc/github/connect-token", form: "token", encoding: "raw" },
      { path: "saml-keys.tar", member: "inner.tar.gz!connect/key.pem", form: "pem-key", encoding: "raw" },
      { path: "mysql.sql.gz", form: "pem-key", encoding: "escaped" },
      { path: "mysql.sql.gz", form: "token", encoding: "raw" },
      { path: "mysql.sql.gz", form: "pem-key", encoding: "double-escaped" },
      { path: "mysql.sql.gz", form: "pem-key", encoding: "escaped" },
    ],
  };
}
