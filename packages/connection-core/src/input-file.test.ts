import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CoreError } from "./errors.js";
import { INPUT_CAPS, boundedInTime, readInputFile, readInputText } from "./input-file.js";

let dir: string;
let socketServer: Server;
const socketPath = (): string => join(dir, "control.sock");

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "input-file-"));
  mkdirSync(join(dir, "a-directory"));
  spawnSync("mkfifo", [join(dir, "fifo")]);
  socketServer = createServer();
  await new Promise<void>((resolve) => socketServer.listen(socketPath(), resolve));
});

afterAll(async () => {
  await new Promise<void>((resolve) => socketServer.close(() => resolve()));
  rmSync(dir, { recursive: true, force: true });
});

async function failure(path: string, options: Parameters<typeof readInputFile>[1]): Promise<CoreError> {
  const error: unknown = await readInputFile(path, options).then(
    () => new Error("expected readInputFile to throw"),
    (thrown: unknown) => thrown,
  );
  if (!(error instanceof CoreError)) throw error;
  return error;
}

describe("readInputFile", () => {
  it("reads a regular file and a symlink to one", async () => {
    writeFileSync(join(dir, "license.json"), '{"ok":true}');
    symlinkSync(join(dir, "license.json"), join(dir, "license-link.json"));
    expect(await readInputText(join(dir, "license.json"), { kind: "license" })).toBe('{"ok":true}');
    expect(await readInputText(join(dir, "license-link.json"), { kind: "license" })).toBe('{"ok":true}');
  });

  it.each([
    ["/dev/zero", "a character device"],
    ["/dev/urandom", "a character device"],
  ])("refuses %s as %s without reading it", async (path, what) => {
    const error = await failure(path, { kind: "license", flag: "--license" });
    expect(error.code).toBe("INPUT_NOT_A_FILE");
    expect(error.category).toBe("input");
    expect(error.message).toBe(`the license file --license ${path} is ${what}, not a regular file`);
    expect(error.context).toMatchObject({ path, kind: "license", found: what });
  });

  it("refuses a FIFO without waiting for a writer", async () => {
    const error = await failure(join(dir, "fifo"), { kind: "inventory" });
    expect(error.code).toBe("INPUT_NOT_A_FILE");
    expect(error.message).toContain("is a FIFO (named pipe)");
  });

  it("refuses a socket and a directory", async () => {
    expect((await failure(socketPath(), { kind: "config" })).message).toContain("is a socket");
    expect((await failure(join(dir, "a-directory"), { kind: "config" })).message).toContain("is a directory");
  });

  it("refuses a symlink to a device, naming the link", async () => {
    symlinkSync("/dev/zero", join(dir, "zero-link"));
    const error = await failure(join(dir, "zero-link"), { kind: "recipients" });
    expect(error.code).toBe("INPUT_NOT_A_FILE");
    expect(error.message).toContain("is a symbolic link to a character device");
  });

  it("reads a file of exactly the cap and refuses one byte over", async () => {
    writeFileSync(join(dir, "at-cap"), Buffer.alloc(1000, 0x61));
    writeFileSync(join(dir, "over-cap"), Buffer.alloc(1001, 0x61));
    expect((await readInputFile(join(dir, "at-cap"), { kind: "fingerprints", maxBytes: 1000 })).length).toBe(1000);
    const error = await failure(join(dir, "over-cap"), { kind: "fingerprints", maxBytes: 1000 });
    expect(error.code).toBe("INPUT_TOO_LARGE");
    expect(error.context).toMatchObject({ maxBytes: 1000 });
  });

  it("holds the cap of each kind one byte over it", async () => {
    const cap = INPUT_CAPS["public-key"];
    writeFileSync(join(dir, "big.pub"), Buffer.alloc(cap + 1, 0x41));
    const error = await failure(join(dir, "big.pub"), { kind: "public-key", flag: "--public-key" });
    expect(error.code).toBe("INPUT_TOO_LARGE");
    expect(error.message).toBe(
      `the public-key file --public-key ${join(dir, "big.pub")} is over the public-key size limit of 64 KiB`,
    );
  });

  it("never returns more than the cap from a file that grows while it is read", async () => {
    const path = join(dir, "growing");
    writeFileSync(path, Buffer.alloc(512, 0x62));
    // A real writer appending as fast as it can, beside our reads.
    const writer = spawn("sh", ["-c", `while :; do head -c 65536 /dev/zero >> '${path}'; done`], { stdio: "ignore" });
    try {
      const cap = 4 << 20;
      let outcome: "too-large" | undefined;
      for (let attempt = 0; attempt < 10_000 && outcome === undefined; attempt += 1) {
        try {
          const bytes = await readInputFile(path, { kind: "report", maxBytes: cap });
          expect(bytes.length).toBeLessThanOrEqual(cap);
        } catch (error) {
          expect(error).toBeInstanceOf(CoreError);
          expect((error as CoreError).code).toBe("INPUT_TOO_LARGE");
          outcome = "too-large";
        }
      }
      expect(outcome).toBe("too-large");
    } finally {
      writer.kill("SIGKILL");
    }
  });

  it("names a missing file and an unreadable one", async () => {
    const missing = await failure(join(dir, "nope.json"), { kind: "inventory", flag: "--inventory" });
    expect(missing.code).toBe("INPUT_UNREADABLE");
    expect(missing.message).toBe(`the inventory file --inventory ${join(dir, "nope.json")} does not exist`);
    if (process.getuid?.() !== 0) {
      writeFileSync(join(dir, "secret.json"), "{}", { mode: 0o000 });
      expect((await failure(join(dir, "secret.json"), { kind: "inventory" })).message).toContain(
        "is not readable by this user",
      );
    }
  });

  it("reports work that does not finish in time (a read stuck on a hung mount)", async () => {
    const stuck = new Promise<never>(() => undefined);
    const error: unknown = await boundedInTime(
      stuck,
      5,
      () => new CoreError("INPUT_READ_TIMEOUT", "late", { category: "input" }),
    ).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(CoreError);
    expect((error as CoreError).code).toBe("INPUT_READ_TIMEOUT");
    expect(await boundedInTime(Promise.resolve(7), 5, () => new Error("late"))).toBe(7);
  });
});
