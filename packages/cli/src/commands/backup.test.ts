import { deriveResidueFingerprints, withTokenFingerprint } from "@connect-ops/connection-core";
import {
  CredentialVault,
  commitToken,
  generateAgeIdentity,
  initStateDir,
  loadStateDir,
  openSealedBytes,
  sealAppKey,
} from "@connect-ops/credential-vault";
import { execFileSync } from "node:child_process";
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { cliErrorOf, parseJsonOutput, testdirSync } from "@connect-ops/test-support";
import { mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import * as z from "zod";
import { runCli } from "../test-support/run-cli.js";

const scratchDir = testdirSync({ prefix: "cli-backup-" });
const scratch = scratchDir.path;
afterAll(() => scratchDir[Symbol.dispose]());
let counter = 0;
const fresh = (name: string) => join(scratch, `${name}-${counter++}`);

const privateKeyPem = generateKeyPairSync("rsa", { modulusLength: 2048 })
  .privateKey.export({ type: "pkcs1", format: "pem" })
  .toString();
const token = `ghs_${randomBytes(27).toString("base64url").replace(/[-_]/g, "a").slice(0, 36)}`;
const residue = withTokenFingerprint(
  deriveResidueFingerprints({ appId: 42, privateKeyPem, tokens: [], saltBytes: randomBytes(16) }),
  token,
);
const licensePublicKey = generateKeyPairSync("rsa", { modulusLength: 2048 })
  .publicKey.export({ type: "spki", format: "pem" })
  .toString();
const record = {
  licensePublicKey,
  licenseHash: "a".repeat(64),
  customerName: "Acme Corp",
  hostname: "ghes.example.com",
  ghesVersion: "3.14.2",
  account: { type: "enterprise" as const, login: "acme", id: 1 },
};

function fingerprintsFile(): string {
  const path = join(fresh("fp"), "fingerprints.json");
  mkdirSync(join(path, ".."), { recursive: true });
  writeFileSync(path, JSON.stringify([residue]));
  return path;
}

/** A backup-utils data dir with one snapshot: the key in a settings file and the token in a tarball. */
function dataDir(options: { incomplete?: boolean } = {}): { dir: string; snapshot: string } {
  const dir = fresh("data");
  const snapshot = join(dir, "20240611T020000");
  mkdirSync(join(snapshot, "keys"), { recursive: true });
  writeFileSync(join(snapshot, "settings.json"), JSON.stringify({ "github-connect": { key: privateKeyPem } }));
  writeFileSync(join(snapshot, "keys", "token.txt"), `token=${token}\n`);
  execFileSync("tar", ["-cf", join(snapshot, "saml-keys.tar"), "-C", snapshot, "keys"]);
  rmSync(join(snapshot, "keys"), { recursive: true });
  if (options.incomplete) writeFileSync(join(snapshot, "incomplete"), "");
  symlinkSync("20240611T020000", join(dir, "current"));
  return { dir, snapshot };
}

async function connectedStateDir(): Promise<{ stateDir: string; recipient: string }> {
  const stateDir = fresh("state");
  await initStateDir(stateDir);
  const state = await loadStateDir(stateDir);
  const vault = new CredentialVault(join(stateDir, "vault"));
  await sealAppKey(vault, [state.recipient], {
    cloudUrl: "http://127.0.0.1:9",
    app: { appId: 42, slug: "ghes-connect-acme", clientId: "Iv1.0123456789abcdef", privateKeyPem },
    recordId: 7,
    record,
    saltBytes: randomBytes(16),
  });
  const lock = await vault.lock();
  try {
    await commitToken(vault, lock, await vault.open(state.identities), [state.recipient], {
      installationId: 9,
      token,
      expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
    });
  } finally {
    await lock.release();
  }
  return { stateDir, recipient: state.recipient };
}

function expectNoSecret(...texts: string[]): void {
  for (const text of texts) {
    expect(text).not.toContain(token);
    for (const line of privateKeyPem.split("\n").filter((line) => line.length > 20 && !line.startsWith("-----")))
      expect(text).not.toContain(line);
  }
}

describe("connect-ops backup (in-process)", () => {
  it("gives every subcommand a realistic example in --help", async () => {
    for (const sub of ["include", "scan", "redact", "hook", "restore"]) {
      const run = await runCli(["backup", sub, "--help"]);
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/\nExample[^\n]*:\n[\s\S]*connect-ops [\s\S]*backup /);
    }
  });

  it("scan finds the key and the tar member with the token, exits 1, and prints no secret", async () => {
    const { dir } = dataDir();
    const run = await runCli([
      "--state-dir",
      fresh("none"),
      "--json",
      "backup",
      "scan",
      dir,
      "--fingerprints",
      fingerprintsFile(),
    ]);
    expect(run.code).toBe(1);
    const result = JSON.parse(run.stdout) as {
      findings: Array<{ member?: string; form: string; fingerprintId: string }>;
      gaps: unknown[];
      filesScanned: number;
      bytesScanned: number;
    };
    expect(Object.keys(result).sort()).toEqual(["bytesScanned", "filesScanned", "findings", "gaps"]);
    expect(result.findings.some((finding) => finding.member === "keys/token.txt" && finding.form === "token")).toBe(
      true,
    );
    expect(result.findings.some((finding) => finding.form === "pem-key")).toBe(true);
    expect(result.findings.every((finding) => finding.fingerprintId === residue.id)).toBe(true);
    const human = await runCli([
      "--state-dir",
      fresh("none"),
      "backup",
      "scan",
      dir,
      "--fingerprints",
      fingerprintsFile(),
    ]);
    expect(human.stdout).toContain("saml-keys.tar!keys/token.txt");
    expectNoSecret(run.stdout, run.stderr, human.stdout, human.stderr);
  });

  it("shows a byte counter on a terminal only, and clears it", async () => {
    const { dir } = dataDir();
    const tty = await runCli(
      ["--state-dir", fresh("none"), "backup", "scan", dir, "--fingerprints", fingerprintsFile()],
      { isTTY: true },
    );
    expect(tty.stderr).toMatch(/scanning: [\d.]+ (B|KiB|MiB) of [\d.]+ (B|KiB|MiB)/);
    expect(tty.stderr.endsWith("\r\x1b[2K")).toBe(true);
    const quiet = await runCli(
      ["--state-dir", fresh("none"), "--no-progress", "backup", "scan", dir, "--fingerprints", fingerprintsFile()],
      { isTTY: true },
    );
    expect(quiet.stderr).toBe("");
  });

  it("--quiet: on success only the verdict line and no progress; a failure still prints its whole report", async () => {
    const { dir } = dataDir();
    const found = await runCli(
      ["--state-dir", fresh("none"), "--quiet", "backup", "scan", dir, "--fingerprints", fingerprintsFile()],
      { isTTY: true },
    );
    expect(found.code).toBe(1);
    expect(found.stdout).toMatch(/^Found \d+ trace\(s\)/u);
    expect(found.stdout).toContain("Next: connect-ops backup redact");
    expect(found.stderr).toBe("");
    const empty = fresh("empty-data");
    mkdirSync(join(empty, "20240611T020000"), { recursive: true });
    const clean = await runCli(
      ["--state-dir", fresh("none"), "--quiet", "backup", "scan", empty, "--fingerprints", fingerprintsFile()],
      { isTTY: true },
    );
    expect(clean.code, clean.stderr).toBe(0);
    expect(clean.stdout).toBe(`Clean: no trace of the Connect credentials in ${empty}\n`);
    expect(clean.stderr).toBe("");
    const loud = await runCli([
      "--state-dir",
      fresh("none"),
      "backup",
      "scan",
      empty,
      "--fingerprints",
      fingerprintsFile(),
    ]);
    expect(loud.stdout.split("\n").length).toBeGreaterThan(2);
  });

  it("redact leaves a clean re-scan; a second redact changes nothing", async () => {
    const { snapshot, dir } = dataDir();
    const fingerprints = fingerprintsFile();
    const dry = await runCli([
      "--state-dir",
      fresh("none"),
      "backup",
      "redact",
      snapshot,
      "--dry-run",
      "--fingerprints",
      fingerprints,
    ]);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toMatch(/^Would redact/);
    const redacted = await runCli([
      "--state-dir",
      fresh("none"),
      "--json",
      "backup",
      "redact",
      join(dir, "current"),
      "--fingerprints",
      fingerprints,
    ]);
    expect(redacted.code).toBe(0);
    expect(
      parseJsonOutput(z.object({ changes: z.array(z.unknown()) }), redacted.stdout).changes.length,
    ).toBeGreaterThanOrEqual(2);
    expect(
      (await runCli(["--state-dir", fresh("none"), "backup", "scan", snapshot, "--fingerprints", fingerprints])).code,
    ).toBe(0);
    const again = await runCli([
      "--state-dir",
      fresh("none"),
      "backup",
      "redact",
      snapshot,
      "--fingerprints",
      fingerprints,
    ]);
    expect(again.stdout).toMatch(/^Nothing to redact/);
    expectNoSecret(dry.stdout, redacted.stdout, again.stdout);
  });

  it("refuses bad input with exit 2: missing path, no fingerprints, bad depth, incomplete snapshot", async () => {
    const missing = await runCli(["backup", "scan", join(scratch, "nope"), "--fingerprints", fingerprintsFile()]);
    expect(missing.code).toBe(2);
    const { dir, snapshot } = dataDir({ incomplete: true });
    const none = await runCli(["--state-dir", fresh("none"), "backup", "scan", dir]);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/no credential fingerprints.*--fingerprints FILE/);
    expect((await runCli(["backup", "scan", dir, "--max-depth", "0", "--fingerprints", fingerprintsFile()])).code).toBe(
      2,
    );
    const incomplete = await runCli(["backup", "redact", snapshot, "--fingerprints", fingerprintsFile()]);
    expect(incomplete.code).toBe(2);
    expect(incomplete.stderr).toContain("error[BACKUP_SNAPSHOT_INCOMPLETE]");
    const hook = await runCli(["--json", "backup", "hook", "--data-dir", dir, "--fingerprints", fingerprintsFile()]);
    expect(hook.code).toBe(2);
    expect(cliErrorOf(hook.stdout).code).toBe("BACKUP_SNAPSHOT_INCOMPLETE");
    writeFileSync(join(dir, "in-progress"), "20240612T020000 4242");
    rmSync(join(snapshot, "incomplete"));
    const running = await runCli(["--json", "backup", "hook", "--data-dir", dir, "--fingerprints", fingerprintsFile()]);
    expect(running.code).toBe(2);
    expect(cliErrorOf(running.stdout).code).toBe("BACKUP_IN_PROGRESS");
  });

  it("include seals to the backup recipient only, is idempotent, and refuses bad recipients", async () => {
    const { stateDir, recipient } = await connectedStateDir();
    const backup = await generateAgeIdentity();
    const { snapshot } = dataDir();
    const first = await runCli([
      "--state-dir",
      stateDir,
      "--json",
      "backup",
      "include",
      snapshot,
      "--recipient",
      backup.recipient,
    ]);
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({
      changed: true,
      manifest: { appId: 42, recipients: [backup.recipient] },
    });
    const sealed = readFileSync(join(snapshot, "github-connect", "credentials.age"));
    const opened = JSON.parse(Buffer.from(await openSealedBytes(sealed, [backup.identity])).toString()) as {
      credentials: { app: { privateKeyPem: string } };
      record: { hostname: string };
    };
    expect(opened.credentials.app.privateKeyPem).toBe(privateKeyPem);
    expect(opened.record.hostname).toBe("ghes.example.com");
    const state = await loadStateDir(stateDir);
    await expect(openSealedBytes(sealed, state.identities)).rejects.toMatchObject({ code: "VAULT_IDENTITY_MISMATCH" });
    const second = await runCli([
      "--state-dir",
      stateDir,
      "--json",
      "backup",
      "include",
      snapshot,
      "--recipient",
      backup.recipient,
    ]);
    expect(parseJsonOutput(z.object({ changed: z.boolean() }), second.stdout).changed).toBe(false);

    const bad = await runCli(["--state-dir", stateDir, "backup", "include", snapshot, "--recipient", "age1nope"]);
    expect(bad.code).toBe(2);
    const own = await runCli(["--state-dir", stateDir, "backup", "include", snapshot, "--recipient", recipient]);
    expect(own.code).toBe(2);
    expect(own.stderr).toContain("own recipient");
    const noneGiven = await runCli(["--state-dir", stateDir, "backup", "include", snapshot]);
    expect(noneGiven.code).toBe(2);
    expect(noneGiven.stderr).toContain("no backup recipient");
    expectNoSecret(first.stdout, second.stdout, bad.stderr, own.stderr);
  });

  it("restore onto another hostname resets Connect (exit 1: credentials not restored, vault untouched) and refuses a vault holding another app", async () => {
    const source = await connectedStateDir();
    const backup = await generateAgeIdentity();
    const { snapshot } = dataDir();
    expect(
      (await runCli(["--state-dir", source.stateDir, "backup", "include", snapshot, "--recipient", backup.recipient]))
        .code,
    ).toBe(0);
    const identityFile = join(fresh("id"), "backup-identity.txt");
    mkdirSync(join(identityFile, ".."), { recursive: true });
    writeFileSync(identityFile, `${backup.identity}\n`);

    const target = fresh("state");
    await initStateDir(target);
    const reset = await runCli([
      "--state-dir",
      target,
      "--json",
      "backup",
      "restore",
      snapshot,
      "--identity",
      identityFile,
      "--hostname",
      "other.example.com",
    ]);
    expect(reset.code).toBe(1);
    expect(JSON.parse(reset.stdout)).toMatchObject({
      outcome: "reset",
      snapshotHostname: "ghes.example.com",
      targetHostname: "other.example.com",
    });
    expect(await new CredentialVault(join(target, "vault")).readMeta()).toBeUndefined();

    const other = await connectedStateDir();
    writeFileSync(
      join(other.stateDir, "vault", "meta.json"),
      readFileSync(join(other.stateDir, "vault", "meta.json"), "utf8").replace('"appId": 42', '"appId": 43'),
    );
    const clash = await runCli([
      "--state-dir",
      other.stateDir,
      "backup",
      "restore",
      snapshot,
      "--identity",
      identityFile,
      "--hostname",
      "ghes.example.com",
    ]);
    expect(clash.code).toBe(2);
    expect(clash.stderr).toContain("holds another connection");

    const wrongKey = join(fresh("id"), "wrong.txt");
    mkdirSync(join(wrongKey, ".."), { recursive: true });
    writeFileSync(wrongKey, `${(await generateAgeIdentity()).identity}\n`);
    const mismatch = await runCli(["--state-dir", target, "backup", "restore", snapshot, "--identity", wrongKey]);
    expect(mismatch.code).toBe(2);
    expect(mismatch.stderr).toContain("VAULT_IDENTITY_MISMATCH");
    expectNoSecret(reset.stdout, clash.stderr, mismatch.stderr);
  });
});
