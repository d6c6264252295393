import { execFileSync, spawn } from "node:child_process";
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { stringContaining, testdirSync } from "@connect-ops/test-support";
import { mkdirSync, readdirSync, readFileSync, rmdirSync, statSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { CredentialsBundle } from "./bundle.js";
import { STATE_FILES, STATE_LEDGERS } from "./layout.js";
import { initStateDir, readIdentityFile } from "./state-dir.js";
import { CredentialVault, type CommitStep } from "./vault.js";
import type { WriteStep } from "./atomic-write.js";
import { rmSync } from "node:fs";

const scratch = testdirSync({ prefix: "vault-test-" });
afterAll(() => scratch[Symbol.dispose]());
let counter = 0;
const freshDir = () => scratch.join(`s${counter++}`);

const pem = generateKeyPairSync("rsa", { modulusLength: 2048 })
  .privateKey.export({ type: "pkcs1", format: "pem" })
  .toString();
function bundleWith(token: string): CredentialsBundle {
  return {
    format: "connect-ops/credentials@1",
    cloudUrl: "http://127.0.0.1:1",
    app: { appId: 7, slug: "ghes-connect", clientId: "Iv1.abc", privateKeyPem: pem },
    installationId: 9,
    token: { value: token, expiresAt: "2026-11-24T03:00:00.000Z", cacheKey: "http://127.0.0.1:1|7|9" },
  };
}
const tokenA = `ghs_${"A".repeat(36)}`;
const tokenB = `ghs_${"B".repeat(36)}`;

async function initialised() {
  const stateDir = freshDir();
  const init = await initStateDir(stateDir);
  const identities = await readIdentityFile(init.identityFile);
  const vault = new CredentialVault(join(stateDir, STATE_FILES.vault));
  return { stateDir, init, identities, vault };
}

async function commitBundle(vault: CredentialVault, recipients: string[], token: string, expected: number | null) {
  const lock = await vault.lock();
  try {
    return await vault.commit(lock, {
      bundle: bundleWith(token),
      recipients,
      expectedGeneration: expected,
      metaFields: { appId: 7 },
    });
  } finally {
    await lock.release();
  }
}

describe("CredentialVault with the real age CLI", () => {
  it("writes a vault that `age -d -i identity` decrypts", async () => {
    const { init, vault } = await initialised();
    await commitBundle(vault, [init.recipient], tokenA, null);
    const plaintext = execFileSync("age", ["-d", "-i", init.identityFile, vault.sealedPath]).toString();
    expect(JSON.parse(plaintext)).toMatchObject({ token: { value: tokenA } });
  });

  it("opens a bundle that `age -r` encrypted", async () => {
    const { init, identities, vault } = await initialised();
    const meta = await commitBundle(vault, [init.recipient], tokenA, null);
    const plain = scratch.join("plain.json");
    writeFileSync(plain, JSON.stringify(bundleWith(tokenB)), { mode: 0o600 });
    execFileSync("age", ["-r", init.recipient, "-o", vault.sealedPath, plain]);
    rmSync(plain);
    // meta.json records the digest of the file it describes; re-point it at the CLI-made file.
    const digest = execFileSync("sha256sum", [vault.sealedPath]).toString().split(" ")[0];
    writeFileSync(vault.metaPath, JSON.stringify({ ...meta, sealedSha256: digest }));
    const { bundle } = await vault.open(identities);
    expect(bundle.token?.value).toBe(tokenB);
  });

  it("creates an identity that `age-keygen -y` accepts, files 0600 in a 0700 dir", async () => {
    const { stateDir, init, vault } = await initialised();
    expect(execFileSync("age-keygen", ["-y", init.identityFile]).toString().trim()).toBe(init.recipient);
    await commitBundle(vault, [init.recipient], tokenA, null);
    expect(statSync(stateDir).mode & 0o777).toBe(0o700);
    expect(statSync(vault.dir).mode & 0o777).toBe(0o700);
    for (const file of [init.identityFile, vault.sealedPath, vault.metaPath])
      expect(statSync(file).mode & 0o777).toBe(0o600);
  });
});

describe("CredentialVault faults", () => {
  it("names the recipients when the identity does not match", async () => {
    const { init, vault } = await initialised();
    await commitBundle(vault, [init.recipient], tokenA, null);
    const other = await initialised();
    await expect(vault.open(other.identities)).rejects.toMatchObject({
      code: "VAULT_IDENTITY_MISMATCH",
      message: stringContaining(init.recipient),
    });
  });

  it.each([
    ["truncated", (bytes: Buffer) => bytes.subarray(0, bytes.length - 20)],
    [
      "bit-flipped",
      (bytes: Buffer) => Buffer.from(bytes.map((byte, index) => (index === bytes.length - 5 ? byte ^ 1 : byte))),
    ],
  ])("reports a %s sealed file as an integrity error and leaves it as it is", async (_name, damage) => {
    const { init, identities, vault } = await initialised();
    await commitBundle(vault, [init.recipient], tokenA, null);
    const damaged = damage(readFileSync(vault.sealedPath));
    writeFileSync(vault.sealedPath, damaged);
    await expect(vault.open(identities)).rejects.toMatchObject({ code: "VAULT_INTEGRITY" });
    await expect(vault.readVerifiedMeta()).rejects.toMatchObject({ code: "VAULT_INTEGRITY" });
    expect(readFileSync(vault.sealedPath).equals(damaged)).toBe(true);
  });

  it("refuses a state dir it cannot create with a coded input error naming the errno, not a crash", async () => {
    const dir = freshDir();
    mkdirSync(dir, { recursive: true });
    const parent = join(dir, "a-file");
    writeFileSync(parent, "not a directory");
    await expect(initStateDir(join(parent, "state"))).rejects.toMatchObject({
      code: "VAULT_STATE_DIR_UNSAFE",
      category: "input",
      message: stringContaining("ENOTDIR"),
    });
    expect(readFileSync(parent, "utf8")).toBe("not a directory");
  });

  it("refuses a state dir under /proc at once (Node's recursive mkdir never returns there: ENOENT on every level)", async () => {
    await expect(initStateDir("/proc/nonexistent/connect-ops")).rejects.toMatchObject({
      code: "VAULT_STATE_DIR_UNSAFE",
      message: stringContaining("ENOENT"),
    });
  });

  it("taking the lock sweeps the temps a killed write of the state dir's ledgers left, and nothing else", async () => {
    const { stateDir, vault } = await initialised();
    const leftovers = STATE_LEDGERS.map((ledger) => join(stateDir, `.${ledger}.tmp-0123456789ab`));
    for (const path of leftovers) writeFileSync(path, "{");
    const foreign = join(stateDir, ".config.json.tmp-0123456789ab"); // not a ledger: its writer does not take the lock
    writeFileSync(foreign, "{");
    const before = readdirSync(stateDir).filter((name) => !leftovers.some((path) => path.endsWith(`/${name}`)));
    const lock = await vault.lock();
    await lock.release();
    expect(readdirSync(stateDir).sort()).toEqual([...before, STATE_FILES.vault].sort()); // lock() made the vault dir
    expect(readFileSync(foreign, "utf8")).toBe("{");
  });

  it("lock-free readers racing 40 commits never report the vault as damaged (regression: a cache hit beside a mint exited 2)", async () => {
    const { init, identities, vault } = await initialised();
    await commitBundle(vault, [init.recipient], tokenA, null);
    let committing = true;
    const failures: string[] = [];
    let reads = 0;
    const reader = async (read: (fresh: CredentialVault) => Promise<unknown>) => {
      while (committing) {
        await read(new CredentialVault(vault.dir)).catch((error: unknown) => failures.push(String(error)));
        reads++;
      }
    };
    const readers = [
      reader((fresh) => fresh.readVerifiedMeta()),
      reader((fresh) => fresh.readVerifiedMeta()),
      reader((fresh) => fresh.open(identities)),
    ];
    for (let generation = 1; generation <= 40; generation++)
      await commitBundle(vault, [init.recipient], generation % 2 === 0 ? tokenA : tokenB, generation);
    committing = false;
    await Promise.all(readers);
    expect(reads).toBeGreaterThan(40);
    expect(failures).toEqual([]);
  });

  it("refuses a write based on a stale generation (compare-and-swap)", async () => {
    const { init, vault } = await initialised();
    await commitBundle(vault, [init.recipient], tokenA, null);
    await expect(commitBundle(vault, [init.recipient], tokenB, null)).rejects.toMatchObject({
      code: "VAULT_GENERATION_CONFLICT",
    });
  });

  const fileSteps: WriteStep[] = ["temp-created", "temp-written", "temp-synced", "renamed", "dir-synced"];
  const commitSteps: CommitStep[] = ["sealed-pending", "meta-pending", "sealed-renamed", "meta-renamed"];
  const crashPoints = [
    ...fileSteps.flatMap((step) => [1, 2].map((occurrence) => ({ kind: "file" as const, step, occurrence }))),
    ...commitSteps.map((step) => ({ kind: "commit" as const, step, occurrence: 1 })),
  ];
  it.each(crashPoints)("a crash at $kind step $step (#$occurrence) leaves the old or the new vault", async (point) => {
    const { init, identities, vault } = await initialised();
    await commitBundle(vault, [init.recipient], tokenA, null);
    let seen = 0;
    const crash = (step: string) => {
      if (step === point.step && ++seen === point.occurrence) throw new Error("injected crash");
    };
    const faulty = new CredentialVault(vault.dir, point.kind === "file" ? { onStep: crash } : { onCommitStep: crash });
    const lock = await faulty.lock();
    await expect(
      faulty.commit(lock, {
        bundle: bundleWith(tokenB),
        recipients: [init.recipient],
        expectedGeneration: 1,
        metaFields: {},
      }),
    ).rejects.toThrow("injected crash");
    // The process "died" holding the lock; the next one recovers it as stale only if the pid is dead,
    // so release it here as the kernel would have freed the dead process's resources.
    await lock.release();
    const { meta, bundle } = await vault.open(identities);
    expect([tokenA, tokenB]).toContain(bundle.token?.value);
    expect(meta.generation).toBe(bundle.token?.value === tokenA ? 1 : 2);
    await (await vault.lock()).release(); // recovery finishes or rolls back, removing leftovers
    expect(readdirSync(vault.dir).sort()).toEqual(["credentials.age", "meta.json"]);
    const after = await vault.open(identities);
    expect(after.bundle.token?.value).toBe(bundle.token?.value);
  });

  it("destroy overwrites and removes every vault file and reports them", async () => {
    const { init, vault } = await initialised();
    await commitBundle(vault, [init.recipient], tokenA, null);
    const removed = await vault.destroy();
    expect(removed.map((file) => file.path.split("/").pop())).toEqual(["credentials.age", "meta.json"]);
    expect(removed.every((file) => file.bytes > 0)).toBe(true);
    expect(() => statSync(vault.dir)).toThrow();
  });

  it("destroy moves meta.json aside before it overwrites anything: a destroy stopped midway reads as no vault, and a second one finishes", async () => {
    const { init, vault } = await initialised();
    await commitBundle(vault, [init.recipient], tokenA, null);
    // A directory sorts between credentials.age and meta.json and cannot be shredded: the destroy stops there,
    // as a kill would. Overwriting meta.json in place first would leave random bytes readers take for damage.
    mkdirSync(join(vault.dir, "lock-stuck"));
    await expect(vault.destroy()).rejects.toThrow();
    expect(readdirSync(vault.dir)).not.toContain("meta.json");
    expect(await vault.readMeta()).toBeUndefined();
    rmdirSync(join(vault.dir, "lock-stuck"));
    writeFileSync(join(vault.dir, ".meta.json.destroying"), randomBytes(64)); // half overwritten when the kill came
    const removed = await vault.destroy();
    expect(removed.map((file) => file.path.split("/").pop())).toEqual([".meta.json.destroying"]);
    expect(() => statSync(vault.dir)).toThrow();
  });
});

describe("CredentialVault across processes", () => {
  const distEntry = join(import.meta.dirname, "..", "dist", "index.js");
  const writerScript = `
    import { CredentialVault } from ${JSON.stringify(distEntry)};
    const [dir, recipient, rounds] = process.argv.slice(1);
    const vault = new CredentialVault(dir);
    for (let i = 0; i < Number(rounds); i++) {
      const lock = await vault.lock({ timeoutMs: 60000 });
      const meta = await vault.readMeta();
      const bundle = { format: "connect-ops/credentials@1", cloudUrl: "x", app: { appId: 7, slug: "s", clientId: "c", privateKeyPem: process.env.TEST_PEM } };
      await vault.commit(lock, { bundle, recipients: [recipient], expectedGeneration: meta?.generation ?? null, metaFields: {} });
      await lock.release();
    }`;
  const writer = (vaultDir: string, recipient: string, rounds: number) =>
    spawn(process.execPath, ["--input-type=module", "-e", writerScript, vaultDir, recipient, String(rounds)], {
      env: { ...process.env, TEST_PEM: pem },
      stdio: ["ignore", "ignore", "inherit"],
    });
  const exitOf = (child: ReturnType<typeof spawn>) =>
    new Promise<number | null>((resolve) => child.on("exit", resolve));

  it("serialises two processes writing at once: every commit lands once", async () => {
    const { init, identities, vault } = await initialised();
    const codes = await Promise.all(
      [writer(vault.dir, init.recipient, 5), writer(vault.dir, init.recipient, 5)].map(exitOf),
    );
    expect(codes).toEqual([0, 0]);
    const { meta } = await vault.open(identities);
    expect(meta.generation).toBe(10);
    expect(readdirSync(vault.dir).sort()).toEqual(["credentials.age", "meta.json"]);
  });

  it("recovers a lock left by a dead process", async () => {
    const { init, vault } = await initialised();
    const dead = spawn(process.execPath, ["-e", "0"]);
    await exitOf(dead);
    mkdirSync(vault.dir, { recursive: true, mode: 0o700 });
    writeFileSync(
      join(vault.dir, ".lock"),
      JSON.stringify({ pid: dead.pid, host: hostname(), acquiredAt: "2026-01-01T00:00:00Z" }),
    );
    const meta = await commitBundle(vault, [init.recipient], tokenA, null);
    expect(meta.generation).toBe(1);
  });

  it("fails clearly when a live process holds the lock past the timeout", async () => {
    const { vault } = await initialised();
    mkdirSync(vault.dir, { recursive: true, mode: 0o700 });
    writeFileSync(
      join(vault.dir, ".lock"),
      JSON.stringify({ pid: process.ppid, host: hostname(), acquiredAt: "2026-01-01T00:00:00Z" }),
    );
    await expect(vault.lock({ timeoutMs: 50, pollMs: 10 })).rejects.toMatchObject({
      code: "VAULT_LOCKED",
      message: stringContaining(String(process.ppid)),
    });
  });
});
