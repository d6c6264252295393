import { startGitHubSim, type GitHubSim } from "@connect-ops/github-sim";
import {
  ADMIN_HOST_IMAGE_TAG,
  freeLoopbackPort,
  spawnCli,
  testdirSync,
  writeLicense,
  type CliRun,
} from "@connect-ops/test-support";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { GenericContainer, Wait, type StartedTestContainer } from "testcontainers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backupRecipient } from "./disconnect-fixture.js";
import { registerSecret } from "./support/canary.js";
import { expectNoLeak } from "./support/leaks.js";

// Issue 19 end to end: the connect_ops.connect_ops collection run by the real
// ansible-playbook against three admin hosts (sshd + python3 + sudo containers on the
// host network, each sshd on its own 127.0.0.1 port), each with its own github-sim on
// 127.0.0.1 and a local replica; then the signed estate report of their audits.
const repoRoot = join(import.meta.dirname, "..");
const collection = join(repoRoot, "deploy", "ansible");
const scratch = testdirSync({ prefix: "e2e-fleet-" }); // e2e-*: the leak canary scans it
const names = ["prod", "staging", "dr"] as const;
type Name = (typeof names)[number];
const DATA_DIR = "/data/ghe-backup";
const SNAPSHOT = "20261201T020000";

interface Host {
  readonly name: Name;
  readonly port: number;
  readonly sim: GitHubSim;
  readonly adminToken: string;
  container: StartedTestContainer;
}

const hosts = new Map<Name, Host>();
const host = (name: Name): Host => {
  const found = hosts.get(name);
  if (found === undefined) throw new Error(`no host ${name}`);
  return found;
};
const runs: CliRun[] = [];
let release = { artifact: "", sha256: "", version: "" };

const ansibleEnv = (): Record<string, string> => ({
  PATH: process.env.PATH ?? "/usr/bin:/bin",
  HOME: join(scratch.path, "home"),
  LC_ALL: "C.UTF-8",
  ANSIBLE_COLLECTIONS_PATH: join(scratch.path, "collections"),
  ANSIBLE_NOCOLOR: "1",
  ANSIBLE_PIPELINING: "1",
  ANSIBLE_RETRY_FILES_ENABLED: "0",
});

/** `ansible-playbook -vvv` of one of the collection's playbooks; the run is kept for the leak checks. */
async function playbook(name: string, extra: readonly string[] = []): Promise<CliRun> {
  const run = await spawnCli(
    [
      "-vvv",
      "-i",
      join(scratch.path, "hosts.json"),
      "-e",
      `@${join(scratch.path, "vars.json")}`,
      ...extra,
      `connect_ops.connect_ops.${name}`,
    ],
    ansibleEnv(),
    { executable: "ansible-playbook", cwd: scratch.path, inheritEnv: false },
  );
  runs.push(run);
  return run;
}

/** The PLAY RECAP counters of `host`. */
function recap(run: CliRun, name: string): Record<string, number> {
  const line = run.stdout.split("\n").find((candidate) => new RegExp(`^${name}\\s+:\\s+ok=`).test(candidate));
  if (line === undefined) throw new Error(`no recap line for ${name} in:\n${run.stdout.slice(-3000)}`);
  return Object.fromEntries([...line.matchAll(/(\w+)=(\d+)/g)].map((match) => [match[1] ?? "", Number(match[2])]));
}

async function exec(name: Name, script: string, user = "admin"): Promise<string> {
  const result = await host(name).container.exec(["sh", "-c", script], { user });
  if (result.exitCode !== 0) throw new Error(`exec in ${name} failed (${result.exitCode}): ${result.output}`);
  return result.output;
}

/** Registers the App key and token sealed on `name` with the leak canary (decrypted here with the real age). */
async function harvestSecrets(name: Name): Promise<void> {
  const dir = join(scratch.path, "harvest", name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "identity.txt"), await exec(name, "cat /var/lib/connect-ops/age-identity.txt"));
  // base64 through exec: the sealed file is binary.
  const sealed = await exec(name, "base64 -w0 /var/lib/connect-ops/vault/credentials.age");
  writeFileSync(join(dir, "credentials.age"), Buffer.from(sealed.trim(), "base64"));
  const plaintext = execFileSync("age", ["-d", "-i", join(dir, "identity.txt"), join(dir, "credentials.age")]);
  rmSync(dir, { recursive: true, force: true });
  const bundle = JSON.parse(plaintext.toString()) as { app: { privateKeyPem: string }; token: { value: string } };
  registerSecret(`${name} App private key`, bundle.app.privateKeyPem);
  registerSecret(`${name} installation token`, bundle.token.value);
}

async function startHost(name: Name, authorizedKey: string): Promise<Host> {
  const port = await freeLoopbackPort();
  const sim = await startGitHubSim();
  const container = await new GenericContainer(ADMIN_HOST_IMAGE_TAG)
    .withNetworkMode("host")
    .withEnvironment({ SSHD_PORT: String(port), AUTHORIZED_KEY: authorizedKey })
    .withWaitStrategy(Wait.forLogMessage(new RegExp(`Server listening on 127\\.0\\.0\\.1 port ${port}`)))
    .withStartupTimeout(120_000)
    .start();
  return { name, port, sim, adminToken: sim.createAdminToken(), container };
}

function writeInventory(): void {
  const hostVars = Object.fromEntries(
    [...hosts.values()].map((entry) => [
      entry.name,
      {
        ansible_host: "127.0.0.1",
        ansible_port: entry.port,
        ansible_user: "admin",
        ansible_python_interpreter: "/usr/bin/python3",
        ansible_ssh_private_key_file: join(scratch.path, "id_ed25519"),
        ansible_ssh_common_args: `-o UserKnownHostsFile=${join(scratch.path, "known_hosts")} -o StrictHostKeyChecking=accept-new`,
        connect_ops_cloud_token: entry.adminToken,
        connect_ops_cloud_url: entry.sim.url,
        connect_ops_hostname: `ghes-${entry.name}.example.com`,
        connect_ops_license_file: join(scratch.path, "licenses", entry.name, "license.json"),
      },
    ]),
  );
  writeFileSync(
    join(scratch.path, "hosts.json"),
    JSON.stringify({
      all: { hosts: { localhost: { ansible_connection: "local", ansible_python_interpreter: "/usr/bin/python3" } } },
      connect_ops: { hosts: hostVars },
    }),
  );
}

beforeAll(async () => {
  try {
    execFileSync("docker", ["image", "inspect", ADMIN_HOST_IMAGE_TAG], { stdio: "ignore" });
  } catch {
    execFileSync(join(repoRoot, "tools", "admin-host-image", "build.sh"), [ADMIN_HOST_IMAGE_TAG], { stdio: "ignore" });
  }
  const out = join(scratch.path, "release");
  execFileSync(process.execPath, [join(repoRoot, "tools", "release", "build.mjs"), "--out", out], {
    cwd: repoRoot,
    stdio: "pipe",
  });
  const sums = readFileSync(join(out, "SHA256SUMS"), "utf8");
  const line = sums.split("\n").find((entry) => /connect-ops-\S+-linux-x64$/.test(entry));
  const [sha256, file] = line?.split(/\s+\*?/) ?? [];
  if (sha256 === undefined || file === undefined) throw new Error(`no executable in SHA256SUMS:\n${sums}`);
  const version = /connect-ops-(\S+)-linux-x64/.exec(file)?.[1] ?? "";
  release = { artifact: join(out, file), sha256, version };
  expect(createHash("sha256").update(readFileSync(release.artifact)).digest("hex")).toBe(sha256);

  mkdirSync(join(scratch.path, "home"));
  mkdirSync(join(scratch.path, "collections", "ansible_collections", "connect_ops"), { recursive: true });
  symlinkSync(collection, join(scratch.path, "collections", "ansible_collections", "connect_ops", "connect_ops"));
  execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", join(scratch.path, "id_ed25519")]);
  execFileSync("openssl", ["genpkey", "-algorithm", "ed25519", "-out", join(scratch.path, "estate-signing.key")]);
  execFileSync("openssl", [
    "pkey",
    "-in",
    join(scratch.path, "estate-signing.key"),
    "-pubout",
    "-out",
    join(scratch.path, "estate-signing.pub"),
  ]);
  const authorizedKey = readFileSync(join(scratch.path, "id_ed25519.pub"), "utf8").trim();
  // Containers start in parallel: with vfs storage each copies the whole image.
  for (const started of await Promise.all(names.map((name) => startHost(name, authorizedKey))))
    hosts.set(started.name, started);
  for (const name of names) {
    mkdirSync(join(scratch.path, "licenses", name), { recursive: true });
    writeLicense(join(scratch.path, "licenses", name), `Acme ${name}`);
    // backup-utils' data dir, as the backup host has it (the role schedules the hook for it).
    await exec(
      name,
      `install -d -o admin -g admin ${DATA_DIR} ${DATA_DIR}/${SNAPSHOT} && echo '{}' > ${DATA_DIR}/${SNAPSHOT}/settings.json && ln -s ${SNAPSHOT} ${DATA_DIR}/current && chown -R admin:admin ${DATA_DIR}`,
      "root",
    );
  }
  writeInventory();
  writeFileSync(
    join(scratch.path, "vars.json"),
    JSON.stringify({
      connect_ops_artifact: release.artifact,
      connect_ops_artifact_sha256: release.sha256,
      connect_ops_version: release.version,
      connect_ops_systemd_manage: false,
      connect_ops_nodes: [
        { name: "replica-1", role: "replica", transport: "local", path: "/var/lib/connect-ops-nodes/replica-1" },
      ],
      connect_ops_data_dir: DATA_DIR,
      connect_ops_ghes_version: "3.14.2",
      connect_ops_account: "enterprise:acme",
      connect_ops_keys_dir: join(scratch.path, "keys"),
      connect_ops_reports_dir: join(scratch.path, "reports"),
      connect_ops_estate_name: "acme",
      connect_ops_estate_out: join(scratch.path, "estate-report.json"),
      connect_ops_estate_signing_key: join(scratch.path, "estate-signing.key"),
      connect_ops_estate_public_key: join(scratch.path, "estate-signing.pub"),
      connect_ops_controller_bin: release.artifact,
      connect_ops_confirm: "disconnect",
    }),
  );
  mkdirSync(join(scratch.path, "keys"));
  mkdirSync(join(scratch.path, "reports"));
}, 900_000);

afterAll(async () => {
  await Promise.all(
    [...hosts.values()].map(async (entry) => {
      await entry.container.stop({ remove: true, timeout: 1 }).catch(() => undefined); // teardown: a stopped host is gone already
      await entry.sim.close();
    }),
  );
  scratch[Symbol.dispose]();
});

const estateJson = () =>
  JSON.parse(readFileSync(join(scratch.path, "estate-report.json"), "utf8")) as {
    verdict: string;
    residue: string[];
    gaps: Array<{ appliance: string; reason: string }>;
    appliances: Array<{ name: string; verdict: string }>;
  };

describe("the connect_ops Ansible collection across an estate of three admin hosts", () => {
  it("ansible-lint passes on the collection", () => {
    const lint = execFileSync("ansible-lint", ["--offline", "--nocolor"], {
      cwd: collection,
      env: { ...ansibleEnv(), ANSIBLE_COLLECTIONS_PATH: join(scratch.path, "collections") },
      encoding: "utf8",
    });
    expect(lint).not.toContain("violation");
  }, 600_000);

  it("installs the checksum-verified single executable, state dir, config, inventory and units; a second run changes nothing", async () => {
    const first = await playbook("install");
    expect(first.code, first.stdout.slice(-4000)).toBe(0);
    for (const name of names) expect(recap(first, name).changed).toBeGreaterThan(0);
    const second = await playbook("install");
    expect(second.code, second.stdout.slice(-4000)).toBe(0);
    for (const name of names) expect(recap(second, name)).toMatchObject({ changed: 0, failed: 0, unreachable: 0 });
    expect(await exec("prod", "connect-ops --version")).toContain(release.version);
    expect(await exec("prod", "ls /etc/systemd/system")).toContain("connect-ops-token.timer");
    for (const name of names)
      expect(readFileSync(join(scratch.path, "keys", `${name}.pub`), "utf8")).toContain("PUBLIC KEY");
  }, 600_000);

  it("connects every appliance and the estate health check is ok (in check mode too)", async () => {
    const connected = await playbook("connect");
    expect(connected.code, connected.stdout.slice(-4000)).toBe(0);
    for (const name of names) await harvestSecrets(name);
    const replicated = await playbook("health_check");
    expect(replicated.code, replicated.stdout.slice(-4000)).toBe(0);
    const checked = await playbook("health_check", ["--check"]);
    expect(checked.code, checked.stdout.slice(-4000)).toBe(0);
    for (const name of names) expect(recap(checked, name)).toMatchObject({ changed: 0, failed: 0 });
  }, 600_000);

  it("disconnect + audit with a sealed copy left in one appliance's snapshot: the estate is residue and names it", async () => {
    const recipient = backupRecipient(join(scratch.path, "home"));
    await exec(
      "dr",
      `connect-ops --state-dir /var/lib/connect-ops backup include --recipient ${recipient} ${DATA_DIR}/current`,
    );
    const run = await playbook("disconnect_audit");
    expect(run.code).not.toBe(0);
    expect(recap(run, "dr").failed).toBe(1);
    expect(recap(run, "prod").failed).toBe(0);
    expect(estateJson()).toMatchObject({ verdict: "residue", residue: ["dr"] });
    expect(run.stdout).toContain("residue on dr");
  }, 600_000);

  it("after the snapshot is redacted, the estate audit is CLEAN and verify-report checks it and every embedded report", async () => {
    await exec("dr", `connect-ops --state-dir /var/lib/connect-ops backup redact ${DATA_DIR}/${SNAPSHOT}`);
    const run = await playbook("audit");
    expect(run.code, run.stdout.slice(-4000)).toBe(0);
    expect(estateJson()).toMatchObject({ verdict: "clean", residue: [], gaps: [] });
    const verified = execFileSync(
      release.artifact,
      [
        "--json",
        "verify-report",
        join(scratch.path, "estate-report.json"),
        "--public-key",
        join(scratch.path, "estate-signing.pub"),
      ],
      { encoding: "utf8" },
    );
    expect(JSON.parse(verified)).toMatchObject({ result: "valid", estate: { valid: true } });
  }, 600_000);

  it("one host stopped: the play reports it unreachable and the estate report lists it as a gap", async () => {
    await host("staging").container.stop({ remove: false, timeout: 1 });
    const reports = join(scratch.path, "reports-2");
    mkdirSync(reports);
    const health = await playbook("health_check");
    expect(health.code).not.toBe(0);
    expect(recap(health, "staging").unreachable).toBe(1);
    // prod answers (it is disconnected by now, so its status is not ok: only reachability is asserted here).
    expect(recap(health, "prod").unreachable).toBe(0);
    const audit = await playbook("audit", ["-e", `connect_ops_reports_dir=${reports}`]);
    expect(audit.code).not.toBe(0);
    expect(audit.stdout).toContain("UNREACHABLE");
    expect(recap(audit, "staging").unreachable).toBe(1);
    expect(recap(audit, "dr")).toMatchObject({ failed: 0, unreachable: 0 });
    const estate = estateJson();
    expect(estate.verdict).toBe("inconclusive");
    expect(estate.gaps.map((gap) => gap.appliance)).toEqual(["staging"]);
    expect(estate.appliances.map((entry) => [entry.name, entry.verdict])).toEqual([
      ["prod", "clean"],
      ["staging", "absent"],
      ["dr", "clean"],
    ]);
  }, 600_000);

  it("no secret in any play's -vvv output, nor the admin tokens; the hosts' files hold none outside sealed files", async () => {
    const places = Object.fromEntries(
      runs.map((run, index) => [`play ${index} (${run.argv.at(-1) ?? ""})`, run.stdout + run.stderr]),
    );
    expectNoLeak(
      places,
      Object.fromEntries([...hosts.values()].map((entry) => [`${entry.name} admin token`, entry.adminToken])),
    );
    for (const name of ["prod", "dr"] as const) {
      const files = await exec(
        name,
        "find /var/lib/connect-ops /var/lib/connect-ops-nodes /etc/connect-ops /etc/systemd/system /data/ghe-backup /home/admin /tmp -type f ! -name '*.age' ! -name cloud-token -exec cat {} + 2>/dev/null; true",
        "root",
      );
      writeFileSync(join(scratch.path, `host-files-${name}.txt`), files); // the canary scans the scratch dir after this test
    }
  });
});
