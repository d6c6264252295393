import { createCloudClient } from "@connect-ops/connection-core";
import { startGitHubSim, type GitHubSim } from "@connect-ops/github-sim";
import { execFileSync } from "node:child_process";
import {
  linkSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readlinkSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  cliErrorOf,
  cliTranscript,
  connectArgv,
  openSealedVault,
  openWithAge,
  parseJsonOutput,
  spawnCli,
  testdirSync,
  writeLicense,
} from "@connect-ops/test-support";
import * as z from "zod";
import { connectJson } from "./support/cli-json.js";
import { expectNoLeak, runPlaces } from "./support/leaks.js";

// One story, as an operator lives it: connect, back up twice (backup-utils
// layout, bulk data hard-linked between snapshots), include, find planted
// residue, redact it, restore onto a fresh appliance, and be refused once the
// connection is gone. Every archive is made by the real GNU tar and gzip.

let sim: GitHubSim;
const scratch = testdirSync({ prefix: "e2e-backup-" });
const secrets: Record<string, string> = {};
beforeAll(async () => {
  sim = await startGitHubSim();
});
afterAll(async () => {
  await sim.close();
  scratch[Symbol.dispose]();
});

const OLD = "20240610T020000";
const NEW = "20240611T020000";
const HOSTNAME = "ghes-primary.example.com";
const dir = (...parts: string[]) => join(scratch.path, ...parts);
const data = (...parts: string[]) => dir("data", ...parts);

/** `backup include`'s sealed copy, opened with the backup identity. */
const backupCredentials = z.looseObject({
  credentials: z.looseObject({ app: z.looseObject({ privateKeyPem: z.string() }) }),
});

async function initState(name: string): Promise<Record<string, string>> {
  const env = { CONNECT_OPS_STATE_DIR: dir(name), CONNECT_OPS_CLOUD_TOKEN: "" };
  const run = await spawnCli(["init"], env);
  expect(run.code, run.stderr).toBe(0);
  return env;
}

/** backup-utils: bulk data hard-linked between snapshots, secrets as files and tarballs, `current` → newest. */
function buildDataDir(plants: { token: string; pemLine: string; pem: string }): void {
  for (const id of [OLD, NEW]) {
    mkdirSync(data(id, "repositories", "info"), { recursive: true });
    writeFileSync(data(id, "settings.json"), JSON.stringify({ core: { "github-hostname": HOSTNAME } }));
    writeFileSync(data(id, "uuid"), "8d1c4b2e-0000-4000-8000-000000000000\n");
  }
  // The shared file carries the token: redacting OLD must give OLD a new file and leave NEW's inode alone.
  writeFileSync(
    data(OLD, "repositories", "info", "connect-sync.log"),
    `2024-06-10 sync ok using ${plants.token}\n${"x".repeat(4096)}\n`,
  );
  linkSync(
    data(OLD, "repositories", "info", "connect-sync.log"),
    data(NEW, "repositories", "info", "connect-sync.log"),
  );
  symlinkSync("../settings.json", data(OLD, "repositories", "settings-link"));

  const stage = dir("stage");
  mkdirSync(join(stage, "etc", "github"), { recursive: true });
  writeFileSync(
    join(stage, "etc", "github", "connect.env"),
    `GITHUB_CONNECT_TOKEN=${plants.token}\n# key fragment left by a support bundle\n${plants.pemLine}\n`,
  );
  writeFileSync(join(stage, "etc", "ssh_host_rsa_key.pub"), "ssh-rsa AAAAB3Nza host\n");
  execFileSync("tar", ["-cf", data(OLD, "ssh-host-keys.tar"), "-C", stage, "etc"]);
  execFileSync("tar", ["-cf", data(NEW, "ssh-host-keys.tar"), "-C", stage, "etc/ssh_host_rsa_key.pub"]);

  // Nested: a .tar.gz inside a tar (saml-keys.tar!idp/connect.tar.gz!connect/key.pem), and a JSON settings file.
  mkdirSync(join(stage, "nested", "connect"), { recursive: true });
  mkdirSync(join(stage, "saml", "idp"), { recursive: true });
  writeFileSync(join(stage, "nested", "connect", "key.pem"), plants.pem);
  execFileSync("tar", ["-czf", join(stage, "saml", "idp", "connect.tar.gz"), "-C", join(stage, "nested"), "connect"]);
  execFileSync("tar", ["-cf", data(OLD, "saml-keys.tar"), "-C", join(stage, "saml"), "idp"]);
  writeFileSync(
    data(OLD, "settings.json"),
    JSON.stringify({ core: { "github-hostname": HOSTNAME }, "github-connect": { "private-key": plants.pem } }),
  );

  const sql = `INSERT INTO \`secrets\` VALUES (1,'github_connect_private_key','${plants.pem.replace(/\n/g, "\\n")}'),(2,'github_connect_token','${plants.token}');\n`;
  writeFileSync(
    join(stage, "mysql.sql"),
    `-- MySQL dump\n${"INSERT INTO `users` VALUES (1,'monalisa');\n".repeat(200)}${sql}`,
  );
  execFileSync("gzip", ["-9", "-f", join(stage, "mysql.sql")]);
  execFileSync("cp", [join(stage, "mysql.sql.gz"), data(OLD, "mysql.sql.gz")]);
  writeFileSync(join(stage, "mysql.sql"), "-- MySQL dump\nINSERT INTO `users` VALUES (1,'monalisa');\n");
  execFileSync("gzip", ["-9", "-f", join(stage, "mysql.sql")]);
  execFileSync("cp", [join(stage, "mysql.sql.gz"), data(NEW, "mysql.sql.gz")]);
  symlinkSync(NEW, data("current"));
}

describe("backup include | scan | redact | hook | restore, against the GitHub API simulator", () => {
  let env: { CONNECT_OPS_STATE_DIR: string; CONNECT_OPS_CLOUD_TOKEN: string };
  let pem: string;
  let token: string;
  let recordId: number;
  const backupIdentity = () => dir("backup-identity.txt");

  it("connects an appliance and includes its credentials, sealed to the backup key only", async () => {
    env = { CONNECT_OPS_STATE_DIR: dir("appliance"), CONNECT_OPS_CLOUD_TOKEN: sim.createAdminToken() };
    const license = writeLicense(scratch.path);
    expect((await spawnCli(["init"], env)).code).toBe(0);
    const connected = await spawnCli(["--json", ...connectArgv({ license }, sim.url, HOSTNAME)], env);
    expect(connected.code, connected.stderr).toBe(0);
    recordId = parseJsonOutput(connectJson, connected.stdout).recordId;
    const vault = openSealedVault(env.CONNECT_OPS_STATE_DIR);
    pem = vault.app.privateKeyPem;
    token = vault.token.value;
    Object.assign(secrets, { "private key": pem, token });
    const pemLine = pem.split("\n").filter((line) => line.length === 64)[3] as string;
    buildDataDir({ token, pemLine, pem });

    execFileSync("age-keygen", ["-o", backupIdentity()], { stdio: "ignore" });
    const recipient = execFileSync("age-keygen", ["-y", backupIdentity()]).toString().trim();
    const included = await spawnCli(["--json", "backup", "include", data("current"), "--recipient", recipient], env);
    expect(included.code, included.stderr).toBe(0);
    const include = parseJsonOutput(
      z.looseObject({
        changed: z.boolean(),
        snapshot: z.string(),
        manifest: z.looseObject({ keyFingerprint: z.string() }),
      }),
      included.stdout,
    );
    expect(include).toMatchObject({ changed: true, snapshot: data(NEW), manifest: { recipients: [recipient] } });
    expect(include.manifest.keyFingerprint).toMatch(/^SHA256:/);
    const opened = parseJsonOutput(
      backupCredentials,
      openWithAge(backupIdentity(), data(NEW, "github-connect", "credentials.age")).toString("utf8"),
    );
    expect(opened.credentials.app.privateKeyPem).toBe(pem);
    expect(opened.credentials.app.privateKeyPem).toContain("-----BEGIN RSA PRIVATE KEY-----");
    expect(() =>
      openWithAge(join(env.CONNECT_OPS_STATE_DIR, "age-identity.txt"), data(NEW, "github-connect", "credentials.age")),
    ).toThrow();

    const again = await spawnCli(["--json", "backup", "include", data(NEW), "--recipient", recipient], env);
    expect(parseJsonOutput(z.looseObject({ changed: z.boolean() }), again.stdout).changed).toBe(false);
  });

  it("scan of the data dir finds the plants by member path and prints no secret (exit 1)", async () => {
    const run = await spawnCli(["--json", "backup", "scan", data()], env);
    expect(run.code, run.stderr).toBe(1);
    expect(run.stderr).toBe(""); // not a TTY: no progress line
    const result = JSON.parse(run.stdout) as {
      findings: Array<{ path: string; member?: string; form: string; linkedPaths?: string[] }>;
      gaps: unknown[];
      filesScanned: number;
      bytesScanned: number;
    };
    expect(result.gaps).toEqual([]);
    expect(result.filesScanned).toBeGreaterThan(8);
    const places = result.findings.map(
      (finding) => `${finding.path}${finding.member ? `!${finding.member}` : ""} ${finding.form}`,
    );
    expect(places).toEqual(
      expect.arrayContaining([
        `${data(OLD, "ssh-host-keys.tar")}!etc/github/connect.env token`,
        `${data(OLD, "ssh-host-keys.tar")}!etc/github/connect.env pem-line`,
        `${data(OLD, "mysql.sql.gz")} pem-key`,
        `${data(OLD, "mysql.sql.gz")} token`,
        `${data(NEW, "github-connect", "credentials.age")} sealed-copy`,
        `${data(OLD, "saml-keys.tar")}!idp/connect.tar.gz!connect/key.pem pem-key`,
        `${data(OLD, "settings.json")} pem-key`,
      ]),
    );
    const shared = result.findings.find((finding) => finding.path.endsWith("connect-sync.log"));
    expect(shared?.linkedPaths).toHaveLength(1); // read once for both snapshots
    const human = await spawnCli(["backup", "scan", data()], env);
    expect(human.code, human.stderr).toBe(1);
    expect(human.stdout).toContain("ssh-host-keys.tar!etc/github/connect.env");
  });

  it("redact of the older snapshot leaves a clean re-scan, valid archives, and the sibling's hard link untouched", async () => {
    const sharedNew = data(NEW, "repositories", "info", "connect-sync.log");
    const before = { inode: statSync(sharedNew).ino, bytes: readFileSync(sharedNew) };
    const redacted = await spawnCli(["--json", "backup", "redact", data(OLD)], env);
    expect(redacted.code, redacted.stderr).toBe(0);
    const report = JSON.parse(redacted.stdout) as { changes: unknown[]; filesRewritten: string[]; failed: unknown[] };
    expect(report.failed).toEqual([]);
    expect(report.filesRewritten.length).toBeGreaterThanOrEqual(3);
    expect((await spawnCli(["backup", "scan", data(OLD)], env)).code).toBe(0);

    expect(execFileSync("tar", ["-tvf", data(OLD, "ssh-host-keys.tar")]).toString()).toContain(
      "etc/github/connect.env",
    );
    execFileSync("gzip", ["-t", data(OLD, "mysql.sql.gz")]);
    expect(execFileSync("tar", ["-tvf", data(OLD, "saml-keys.tar")]).toString()).toContain("idp/connect.tar.gz");
    const settings = parseJsonOutput(
      z.looseObject({ "github-connect": z.looseObject({ "private-key": z.string() }) }),
      readFileSync(data(OLD, "settings.json"), "utf8"),
    );
    expect(settings["github-connect"]["private-key"]).toMatch(/^X+\n?$/);
    expect(statSync(sharedNew).ino).toBe(before.inode);
    expect(readFileSync(sharedNew).equals(before.bytes)).toBe(true);
    expect(statSync(data(OLD, "repositories", "info", "connect-sync.log")).ino).not.toBe(before.inode);
    expect(lstatSync(data(OLD, "repositories", "settings-link")).isSymbolicLink()).toBe(true);
    expect(readlinkSync(data(OLD, "repositories", "settings-link"))).toBe("../settings.json");
    expect(readdirSync(data(OLD, "github-connect"))).toEqual(["redaction.json"]);
  });

  it("restore into a fresh appliance mints a token against the cloud and status shows it connected", async () => {
    const target = await initState("replacement");
    const restored = await spawnCli(
      ["--json", "backup", "restore", data("current"), "--identity", backupIdentity(), "--hostname", HOSTNAME],
      target,
    );
    expect(restored.code, restored.stderr).toBe(0);
    expect(JSON.parse(restored.stdout)).toMatchObject({ outcome: "restored", recordId, keptConnect: false });
    const status = await spawnCli(["--json", "status", "--offline"], target);
    expect(status.code, status.stderr).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ connected: true, record: { hostname: HOSTNAME } });
    const sealed = openSealedVault(target.CONNECT_OPS_STATE_DIR as string);
    expect(sealed.token.value).not.toBe(token);
    secrets["restored token"] = sealed.token.value;
    expect((await spawnCli(["--json", "status"], target)).code).toBe(0); // the cloud accepts the restored key
  });

  it("on another appliance resets Connect (exit 1: credentials not restored), or with --keep-connect warns that two appliances share one identity", async () => {
    const reset = await spawnCli(
      ["--json", "backup", "restore", data(NEW), "--identity", backupIdentity(), "--hostname", "ghes-dr.example.com"],
      await initState("other"),
    );
    // A DR script that checks $? must not carry on as if the credentials were back (issue 15).
    expect(reset.code, reset.stderr).toBe(1);
    expect(JSON.parse(reset.stdout)).toMatchObject({
      outcome: "reset",
      snapshotHostname: HOSTNAME,
      targetHostname: "ghes-dr.example.com",
    });
    const kept = await spawnCli(
      [
        "backup",
        "restore",
        data(NEW),
        "--identity",
        backupIdentity(),
        "--hostname",
        "ghes-dr.example.com",
        "--keep-connect",
      ],
      await initState("kept"),
    );
    expect(kept.code, kept.stderr).toBe(0);
    expect(kept.stderr).toMatch(/^warning: --keep-connect: .*share one GitHub App/);
  });

  it("the hook refuses an incomplete current (exit 2) and bad input exits 2", async () => {
    const hookInclude = await spawnCli(
      [
        "--json",
        "backup",
        "hook",
        "--data-dir",
        data(),
        "--policy",
        "include",
        "--recipient",
        execFileSync("age-keygen", ["-y", backupIdentity()]).toString().trim(),
      ],
      env,
    );
    expect(hookInclude.code, hookInclude.stderr).toBe(0);
    // Every snapshot not processed yet: NEW already holds this generation's copy (unchanged), OLD gets one.
    expect(JSON.parse(hookInclude.stdout)).toMatchObject({
      policy: "include",
      current: NEW,
      snapshots: [
        { id: OLD, outcome: "processed", detail: { changed: true } },
        { id: NEW, outcome: "processed", detail: { changed: false } },
      ],
    });
    writeFileSync(data(NEW, "incomplete"), "");
    try {
      const refused = await spawnCli(["--json", "backup", "hook", "--data-dir", data()], env);
      expect(refused.code, refused.stderr).toBe(2);
      expect(cliErrorOf(refused.stdout).code).toBe("BACKUP_SNAPSHOT_INCOMPLETE");
      expect(refused.stderr).toMatch(/^error\[BACKUP_SNAPSHOT_INCOMPLETE\]: .* — wait for the backup to finish/);
    } finally {
      rmSync(data(NEW, "incomplete"));
    }
    expect(
      (
        await spawnCli(
          [
            "backup",
            "include",
            data("20990101T000000"),
            "--recipient",
            "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p",
          ],
          env,
        )
      ).code,
    ).toBe(2);
    const badRecipient = await spawnCli(["backup", "include", data(NEW), "--recipient", "age1notarecipient"], env);
    expect(badRecipient.code, badRecipient.stderr).toBe(2);
    expect(badRecipient.stderr).toContain("error[CORE_INVALID_INPUT]");
    expect((await spawnCli(["backup", "restore", data("missing"), "--identity", backupIdentity()], env)).code).toBe(2);
    expect((await spawnCli(["backup", "scan", data("missing")], env)).code).toBe(2);
  });

  it("refuses (exit 1) to restore a connection that was deleted on the cloud after the snapshot", async () => {
    const client = createCloudClient({ baseUrl: sim.url, adminToken: sim.createAdminToken() });
    expect(await client.deleteConnectionRecord(recordId)).toBe("deleted");
    const refused = await spawnCli(
      ["--json", "backup", "restore", data(NEW), "--identity", backupIdentity(), "--hostname", HOSTNAME],
      await initState("too-late"),
    );
    expect(refused.code, refused.stderr).toBe(1);
    expect(JSON.parse(refused.stdout)).toMatchObject({ outcome: "refused", reason: "app-deleted" });
    const human = await spawnCli(
      ["backup", "restore", data(NEW), "--identity", backupIdentity(), "--hostname", HOSTNAME],
      await initState("too-late-human"),
    );
    expect(human.code, human.stderr).toBe(1);
    expect(human.stdout).toMatch(/no longer exists .*the connection was deleted after this snapshot was taken/);
    expect(readdirSync(dir("too-late-human"))).not.toContain("vault");
  });

  it("leaks no secret in any output or argument", () => {
    const places: Record<string, string> = {};
    Object.assign(places, runPlaces(cliTranscript));
    expect(Object.keys(secrets)).toHaveLength(3);
    expectNoLeak(places, secrets);
  });
});
