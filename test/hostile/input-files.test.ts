import { INPUT_CAPS, type InputKind } from "@connect-ops/connection-core";
import { startGitHubSim, type GitHubSim } from "@connect-ops/github-sim";
import {
  connectedAppliance,
  CURRENT_SNAPSHOT,
  spawnCli,
  testdirSync,
  type Appliance,
  type CliRun,
} from "@connect-ops/test-support";
import { execFileSync, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { lstatSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { createServer, type Server } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// Issue 18: every file argument of every command is checked for kind and size
// before it is read. For each reader, each hostile input is a named error
// (INPUT_NOT_A_FILE / INPUT_TOO_LARGE), exit 2, no hang (the runner kills a
// run that takes 20 s and the test fails), and nothing on disk changes.

const scratch = testdirSync({ prefix: "e2e-input-files-" });
let sim: GitHubSim;
let appliance: Appliance;
let socketServer: Server;
let recipient: string;
const hostile = join(scratch.path, "hostile");

beforeAll(async () => {
  sim = await startGitHubSim();
  appliance = await connectedAppliance({ dir: join(scratch.path, "appliance"), cloud: sim, connectOps: spawnCli });
  execFileSync("mkdir", ["-p", join(hostile, "a-directory")]);
  execFileSync("mkfifo", [join(hostile, "fifo")]);
  socketServer = createServer();
  await new Promise<void>((resolve) => socketServer.listen(join(hostile, "sock"), resolve));
  // What the readers that come after another file need: a backup key, an included snapshot, a report.
  execFileSync("age-keygen", ["-o", join(scratch.path, "backup-identity.txt")], { stdio: "ignore" });
  recipient = execFileSync("age-keygen", ["-y", join(scratch.path, "backup-identity.txt")])
    .toString()
    .trim();
  const included = await spawnCli(
    ["backup", "include", join(appliance.dataDir, CURRENT_SNAPSHOT), "--recipient", recipient],
    appliance.env,
  );
  expect(included.code, included.stderr).toBe(0);
  writeFileSync(join(scratch.path, "report.json"), "{}");
  writeFileSync(join(scratch.path, "report.json.sig"), "not a signature");
  writeFileSync(join(scratch.path, "empty-known-hosts"), "");
  writeFileSync(
    join(scratch.path, "ssh-inventory.json"),
    JSON.stringify({ nodes: [{ name: "far", role: "replica", transport: "ssh", host: "127.0.0.1", port: 9 }] }),
  );
});

afterAll(async () => {
  await new Promise<void>((resolve) => socketServer.close(() => resolve()));
  await sim.close();
  scratch[Symbol.dispose]();
});

/** Each reader: the kind it reads, and the argv that makes the CLI read `path` as that file. */
const readers: { readonly name: string; readonly kind: InputKind; readonly argv: (path: string) => string[] }[] = [
  {
    name: "connect --license",
    kind: "license",
    argv: (path) => [
      "connect",
      "--cloud-url",
      sim.url,
      "--hostname",
      "hostile.example.com",
      "--ghes-version",
      "3.14.2",
      "--license",
      path,
      "--account",
      "enterprise:acme",
    ],
  },
  {
    name: "--config (backup include)",
    kind: "config",
    argv: (path) => [
      "--config",
      path,
      "backup",
      "include",
      join(appliance.dataDir, CURRENT_SNAPSHOT),
      "--recipient",
      recipient,
    ],
  },
  { name: "replicate --inventory", kind: "inventory", argv: (path) => ["replicate", "--inventory", path] },
  { name: "doctor --inventory", kind: "inventory", argv: (path) => ["doctor", "--inventory", path] },
  {
    name: "doctor --known-hosts",
    kind: "known-hosts",
    argv: (path) => ["doctor", "--inventory", join(scratch.path, "ssh-inventory.json"), "--known-hosts", path],
  },
  { name: "replicate --cluster-conf", kind: "cluster-conf", argv: (path) => ["replicate", "--cluster-conf", path] },
  { name: "backup hook --backup-config", kind: "config", argv: (path) => ["backup", "hook", "--backup-config", path] },
  {
    name: "metrics --inventory",
    kind: "inventory",
    argv: (path) => ["metrics", "--out", join(scratch.path, "metrics.prom"), "--inventory", path],
  },
  {
    name: "replicate --known-hosts",
    kind: "known-hosts",
    argv: (path) => ["replicate", "--inventory", join(scratch.path, "ssh-inventory.json"), "--known-hosts", path],
  },
  {
    name: "adopt --private-key",
    kind: "private-key",
    argv: (path) => [
      "adopt",
      "--cloud-url",
      "http://127.0.0.1:9",
      "--app-id",
      "1",
      "--installation-id",
      "1",
      "--private-key",
      path,
    ],
  },
  {
    name: "rotate-key --new-key",
    kind: "private-key",
    argv: (path) => ["rotate-key", "--new-key", path, "--inventory", appliance.inventory],
  },
  {
    name: "replicate --identity-file",
    kind: "private-key",
    argv: (path) => [
      "replicate",
      "--inventory",
      join(scratch.path, "ssh-inventory.json"),
      "--known-hosts",
      join(scratch.path, "empty-known-hosts"),
      "--identity-file",
      path,
    ],
  },
  {
    name: "node enroll --inventory",
    kind: "inventory",
    argv: (path) => ["node", "enroll", "--inventory", path, "--node", "replica-1"],
  },
  {
    name: "node enroll --cluster-conf",
    kind: "cluster-conf",
    argv: (path) => ["node", "enroll", "--cluster-conf", path, "--node", "replica-1"],
  },
  {
    name: "node enroll --known-hosts",
    kind: "known-hosts",
    argv: (path) => [
      "node",
      "enroll",
      "--inventory",
      join(scratch.path, "ssh-inventory.json"),
      "--node",
      "far",
      "--known-hosts",
      path,
    ],
  },
  {
    name: "node enroll --identity-file",
    kind: "private-key",
    argv: (path) => [
      "node",
      "enroll",
      "--inventory",
      join(scratch.path, "ssh-inventory.json"),
      "--node",
      "far",
      "--known-hosts",
      join(scratch.path, "empty-known-hosts"),
      "--identity-file",
      path,
    ],
  },
  {
    name: "backup include --recipients-file",
    kind: "recipients",
    argv: (path) => ["backup", "include", join(appliance.dataDir, CURRENT_SNAPSHOT), "--recipients-file", path],
  },
  {
    name: "backup scan --fingerprints",
    kind: "fingerprints",
    argv: (path) => ["backup", "scan", appliance.dataDir, "--fingerprints", path],
  },
  {
    name: "verify-cleanup --fingerprints",
    kind: "fingerprints",
    argv: (path) => ["verify-cleanup", "--fingerprints", path],
  },
  {
    name: "backup restore --identity",
    kind: "identity",
    argv: (path) => ["backup", "restore", join(appliance.dataDir, CURRENT_SNAPSHOT), "--identity", path],
  },
  {
    name: "backup include --escrow",
    kind: "identity",
    argv: (path) => ["backup", "include", join(appliance.dataDir, CURRENT_SNAPSHOT), "--escrow", path],
  },
  {
    name: "verify-cleanup --unreachable-copies",
    kind: "copy-list",
    argv: (path) => ["verify-cleanup", "--unreachable-copies", path],
  },
  {
    name: "verify-report REPORT",
    kind: "report",
    argv: (path) => ["verify-report", path, "--public-key", join(appliance.stateDir, "audit-signing.pub")],
  },
  {
    name: "verify-report --public-key",
    kind: "public-key",
    argv: (path) => ["verify-report", join(scratch.path, "report.json"), "--public-key", path],
  },
];

/** Every file under `dir` with its mode and content hash: what "nothing changed" compares. */
function treeDigest(dir: string): Record<string, string> {
  const digest: Record<string, string> = {};
  for (const name of readdirSync(dir, { recursive: true, encoding: "utf8" })) {
    const path = join(dir, name);
    const stats = lstatSync(path);
    digest[name] = stats.isFile()
      ? `${stats.mode.toString(8)} ${createHash("sha256").update(readFileSync(path)).digest("hex")}`
      : stats.mode.toString(8);
  }
  return digest;
}

async function runHostile(argv: string[]): Promise<CliRun> {
  return await spawnCli(argv, appliance.env, { hangGuardMs: 20_000 });
}

describe.each(readers)("$name", ({ kind, argv }) => {
  const notFiles = [
    ["/dev/zero", "a character device"],
    ["/dev/urandom", "a character device"],
    ["fifo", "a FIFO (named pipe)"],
    ["sock", "a socket"],
    ["a-directory", "a directory"],
  ] as const;

  it.each(notFiles)("refuses %s as %s: exit 2, nothing changed", async (input, what) => {
    const path = input.startsWith("/") ? input : join(hostile, input);
    const before = treeDigest(appliance.dir);
    const run = await runHostile(argv(path));
    expect(run.stderr).toContain("error[INPUT_NOT_A_FILE]");
    expect(run.stderr).toContain(`is ${what}, not a regular file`);
    expect(run.code).toBe(2);
    expect(treeDigest(appliance.dir)).toEqual(before);
  });

  it(`refuses a ${kind} file one byte over its cap: exit 2, nothing changed`, async () => {
    const path = join(hostile, `${kind}-over-cap`);
    writeFileSync(path, "");
    truncateSync(path, INPUT_CAPS[kind] + 1); // sparse: the size is real, the disk use is not
    const before = treeDigest(appliance.dir);
    const run = await runHostile(argv(path));
    expect(run.stderr).toContain("error[INPUT_TOO_LARGE]");
    expect(run.code).toBe(2);
    expect(treeDigest(appliance.dir)).toEqual(before);
  });

  it(`refuses a ${kind} file that grows while the command runs: exit 2, nothing changed`, async () => {
    const path = join(hostile, `${kind}-growing`);
    writeFileSync(path, "");
    const before = treeDigest(appliance.dir);
    // A writer appends real bytes until the file is twice the cap, while the command opens and reads it:
    // whether the reader meets the cap at fstat or in the middle of reading, it must stop at the cap.
    const writer = spawn(process.execPath, ["-e", GROW_SCRIPT, path, String(2 * INPUT_CAPS[kind])], {
      stdio: "ignore",
    });
    const exited = new Promise<number | null>((resolve) => writer.once("exit", resolve));
    try {
      // The command starts once the file is growing: started together, a loaded machine let the command read the
      // still-empty file before the writer ran (a parse error, not the cap). The mid-read cap is input-file.test.ts's.
      for (let waited = 0; statSync(path).size === 0 && waited < 30_000; waited += 10) await sleep(10);
      const run = await runHostile(argv(path));
      expect(run.stderr).toContain("error[INPUT_TOO_LARGE]");
      expect(run.code).toBe(2);
      expect(treeDigest(appliance.dir)).toEqual(before);
    } finally {
      writer.kill();
      await exited;
      rmSync(path, { force: true });
    }
  });
});

/** Appends 256 KiB blocks to argv[1] until it holds argv[2] bytes. */
const GROW_SCRIPT = `
const { appendFileSync, statSync } = require("node:fs");
const [path, limit] = [process.argv[1], Number(process.argv[2])];
const block = Buffer.alloc(256 * 1024, 0x41);
while (statSync(path).size < limit) appendFileSync(path, block);
`;

describe("fingerprints export --out: only a new or (with --force) an existing regular file is written", () => {
  const targets = [
    ["/dev/null", "a character device"],
    ["fifo", "a FIFO"],
    ["sock", "a socket"],
    ["a-directory", "a directory"],
  ] as const;

  it.each(targets)("refuses --out %s (%s), also with --force: exit 2, nothing changed, no hang", async (input) => {
    const path = input.startsWith("/") ? input : join(hostile, input);
    const before = treeDigest(appliance.dir);
    const run = await runHostile(["fingerprints", "export", "--out", path, "--force"]);
    expect(run.stderr).toContain("error[CLI_USAGE]");
    expect(run.stderr).toContain("is not a regular file");
    expect(run.code).toBe(2);
    expect(treeDigest(appliance.dir)).toEqual(before);
  });

  it("refuses a symlink as --out (it would be replaced, not followed): exit 2, its target unchanged", async () => {
    const target = join(hostile, "link-target.txt");
    writeFileSync(target, "unchanged");
    const link = join(hostile, "out-link");
    execFileSync("ln", ["-sfn", target, link]);
    const run = await runHostile(["fingerprints", "export", "--out", link, "--force"]);
    expect(run.code).toBe(2);
    expect(readFileSync(target, "utf8")).toBe("unchanged");
  });

  it("refuses an existing file without --force: exit 2, the file unchanged", async () => {
    const existing = join(hostile, "existing.json");
    writeFileSync(existing, "keep");
    const run = await runHostile(["fingerprints", "export", "--out", existing]);
    expect(run.stderr).toContain("already exists");
    expect(run.code).toBe(2);
    expect(readFileSync(existing, "utf8")).toBe("keep");
  });
});

describe("data dirs and scan roots that are the host itself (issue 18)", () => {
  const systemTrees = ["/", "/proc", "/sys", "/dev"] as const;

  it.each(systemTrees)("verify-cleanup --data-dir %s is refused before anything is walked", async (dir) => {
    const run = await runHostile(["verify-cleanup", "--inventory", appliance.inventory, "--data-dir", dir]);
    expect(run.stderr).toContain("error[BACKUP_NOT_A_DATA_DIR]");
    expect(run.code).toBe(2);
  });

  it("verify-cleanup --data-dir of a symlink to / is refused, naming where it leads", async () => {
    const link = join(hostile, "data-link");
    execFileSync("ln", ["-sfn", "/", link]);
    const run = await runHostile(["verify-cleanup", "--inventory", appliance.inventory, "--data-dir", link]);
    expect(run.stderr).toContain("error[BACKUP_NOT_A_DATA_DIR]");
    expect(run.stderr).toContain(`${link} resolves to /`);
    expect(run.code).toBe(2);
  });

  it("verify-cleanup --data-dir of a directory with no snapshot is refused with what was found", async () => {
    const run = await runHostile([
      "verify-cleanup",
      "--inventory",
      appliance.inventory,
      "--data-dir",
      appliance.stateDir,
    ]);
    expect(run.stderr).toContain("error[BACKUP_NOT_A_DATA_DIR]");
    expect(run.stderr).toContain("does not look like a backup data dir");
    expect(run.code).toBe(2);
  });

  it.each(["/", "/proc/self"])("backup scan %s is refused before anything is walked", async (path) => {
    const run = await runHostile(["backup", "scan", path]);
    expect(run.stderr).toContain("error[BACKUP_NOT_A_DATA_DIR]");
    expect(run.code).toBe(2);
  });
});
