import type { GitHubSim } from "@connect-ops/github-sim";
import { atomicWriteFile } from "@connect-ops/credential-vault";
import { execFileSync, spawnSync } from "node:child_process";
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  renameSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { applianceAt, CLI_BIN, copyTree, type CliSnapshot } from "@connect-ops/test-support";
import { recordReliability } from "../support/reliability-table.js";
import { connectedBenchSuite, fileDigests } from "../crash/fixtures.js";
import { runCli } from "../crash/harness.js";

// Filesystem hostility (issue 8, part 4): a state dir or node dir that is a
// symlink, group/world-writable or owned by someone else; a planted temp
// name; ENOSPC and EACCES mid-write. Each is refused or fails safely, and the
// old state is intact afterwards.

let sim: GitHubSim;
let cli: CliSnapshot;
let template: string;
const tally = { cases: 0, failures: 0 };
let copies = 0;
const scratch = connectedBenchSuite(
  "reliability-fs-",
  (bench) => ({ cli, sim, template } = bench),
  () =>
    recordReliability({
      area: "filesystem hostility",
      subject: "state dir, node dir, temp names, ENOSPC, EACCES",
      cases: tally.cases,
      failures: tally.failures,
      invariants: [
        "refused with a typed error (exit 2/3)",
        "old state byte-identical afterwards",
        "no write through a planted name",
      ],
    }),
);

/** A fresh copy of the connected appliance and the digest of its state and nodes before the case. */
function freshCopy() {
  const at = applianceAt(join(scratch.path, `case-${copies++}`), sim.createAdminToken());
  copyTree(template, at.dir);
  return { at, before: fileDigests(at.dir) };
}

async function counted(body: () => Promise<void>): Promise<void> {
  tally.cases++;
  try {
    await body();
  } catch (error) {
    tally.failures++;
    throw error;
  }
}

describe("unsafe state dir", () => {
  it.each([
    [
      "a symbolic link",
      "symbolic link",
      (stateDir: string) => {
        renameSync(stateDir, `${stateDir}.real`);
        symlinkSync(`${stateDir}.real`, stateDir);
      },
    ],
    ["group-writable", "writable by group or others", (stateDir: string) => chmodSync(stateDir, 0o770)],
    ["world-writable", "writable by group or others", (stateDir: string) => chmodSync(stateDir, 0o707)],
    ["owned by nobody", "owned by uid", (stateDir: string) => chownSync(stateDir, 65534, 65534)],
  ])("refuses a state dir that is %s (exit 2), changing nothing", async (_label, reason, spoil) =>
    counted(async () => {
      const { at } = freshCopy();
      spoil(at.stateDir);
      const before = fileDigests(at.dir);
      for (const argv of [
        ["token", "--force"],
        ["replicate", "--inventory", at.inventory],
        ["--json", "status"],
      ]) {
        const run = await runCli(cli.bin, argv, at.env);
        expect(run.code, `${argv[0]}: ${run.stderr}`).toBe(2);
        expect(run.stderr).toContain(reason);
      }
      expect(fileDigests(at.dir)).toEqual(before);
    }),
  );
});

describe("hostile node dir", () => {
  // Regression (found by this suite): the local transport used to write through a symlinked node dir.
  it("a node dir that is a symlink to elsewhere is not written through", async () =>
    counted(async () => {
      const { at } = freshCopy();
      const node = at.nodeDirs["data-1"] as string;
      const elsewhere = join(at.dir, "elsewhere");
      mkdirSync(elsewhere);
      execFileSync("rm", ["-rf", node]);
      symlinkSync(elsewhere, node);
      expect((await runCli(cli.bin, ["token", "--force"], at.env)).code).toBe(0);
      const run = await runCli(cli.bin, ["--json", "replicate", "--inventory", at.inventory], at.env);
      // Either refused for that node (exit 3) or written: never through the link into `elsewhere`.
      if (readdirSync(elsewhere).length > 0)
        expect.fail(
          `replicate wrote through the symlinked node dir (exit ${run.code}): ${readdirSync(elsewhere).join(", ")}`,
        );
    }));
});

describe("planted temp names and failing writes", () => {
  it("atomicWriteFile never follows or reuses a planted temp name (O_EXCL|O_NOFOLLOW)", async () =>
    counted(async () => {
      const dir = join(scratch.path, "planted");
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, "victim"), "do not touch\n");
      // The temp suffix is random, so a planted name is hit only by chance: plant many symlinks to the victim
      // and check that none was followed (a hit would fail with EEXIST, never write through).
      for (let index = 0; index < 2000; index++)
        symlinkSync(join(dir, "victim"), join(dir, `.target.tmp-${index.toString(16).padStart(12, "0")}`));
      for (let index = 0; index < 50; index++)
        await atomicWriteFile(join(dir, "target"), Buffer.from(`generation ${index}\n`));
      expect(readFileSync(join(dir, "victim"), "utf8")).toBe("do not touch\n");
      expect(readFileSync(join(dir, "target"), "utf8")).toBe("generation 49\n");
    }));

  it("EACCES: a read-only vault dir for a non-root user fails with exit 3 and the old pair intact", async () =>
    counted(() => {
      const { at } = freshCopy();
      // Root ignores mode bits: make the state dir nobody's and run the CLI as nobody (setpriv), when available.
      const setpriv = spawnSync("setpriv", ["--help"], { stdio: "ignore" }).status === 0;
      if (!setpriv || process.getuid?.() !== 0) {
        tally.cases--;
        return Promise.resolve();
      }
      chmodSync(scratch.path, 0o711); // nobody must reach the state dir to be refused inside it
      chmodSync(at.dir, 0o711);
      execFileSync("chown", ["-R", "65534:65534", at.stateDir]);
      chmodSync(join(at.stateDir, "vault"), 0o500);
      const before = fileDigests(at.stateDir);
      const run = spawnSync(
        "setpriv",
        ["--reuid=65534", "--regid=65534", "--clear-groups", process.execPath, CLI_BIN, "token", "--force"],
        {
          env: { ...process.env, ...at.env, HOME: at.dir },
          encoding: "utf8",
        },
      );
      expect([2, 3], run.stderr).toContain(run.status);
      expect(run.stderr).toMatch(/EACCES|permission/i);
      expect(fileDigests(at.stateDir)).toEqual(before);
      return Promise.resolve();
    }));

  // Regression (found by this suite): ENOSPC/EACCES while taking the vault lock was exit 70 CLI_INTERNAL.
  it("ENOSPC: a full tmpfs under the state dir fails the write with exit 3 and keeps the old pair", async (context) => {
    const { at } = freshCopy();
    const mountPoint = join(at.dir, "tiny");
    mkdirSync(mountPoint);
    const mounted =
      spawnSync("mount", ["-t", "tmpfs", "-o", "size=64k,mode=0700", "tmpfs", mountPoint], { stdio: "ignore" })
        .status === 0;
    if (!mounted) return context.skip("mount -t tmpfs is not permitted here (needs root and CAP_SYS_ADMIN)");
    try {
      await counted(async () => {
        execFileSync("cp", ["-a", `${at.stateDir}/.`, mountPoint]);
        const env = { ...at.env, CONNECT_OPS_STATE_DIR: mountPoint };
        const filler = join(mountPoint, "filler");
        spawnSync("dd", ["if=/dev/zero", `of=${filler}`, "bs=1k", "count=200"], { stdio: "ignore" });
        const before = fileDigests(join(mountPoint, "vault"));
        const run = await runCli(cli.bin, ["token", "--force"], env);
        expect(run.code, run.stderr).toBe(3);
        expect(run.stderr).toContain("ENOSPC");
        expect(fileDigests(join(mountPoint, "vault"))).toEqual(before);
        execFileSync("rm", ["-f", filler]);
        const after = await runCli(cli.bin, ["token"], env);
        expect(after.code, after.stderr).toBe(0);
        expect(existsSync(join(mountPoint, "vault", "credentials.age"))).toBe(true);
      });
    } finally {
      spawnSync("umount", [mountPoint], { stdio: "ignore" });
    }
  });
});
