import { execFileSync } from "node:child_process";
import { testdir, type TestDir } from "@connect-ops/test-support";
import { readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HostKeyVerifier } from "./host-key-verifier.js";
import { hostFieldMatches, lookupHostKey, parseKnownHosts, sshFingerprint } from "./known-hosts.js";

// Real keys from ssh-keygen, so blob decoding, fingerprints and |1| hashing are
// checked against OpenSSH itself rather than against our own reading of it.
let scratch: TestDir;
let dir: string;
const keys: Record<string, { line: string; blob: Buffer; fingerprint: string }> = {};

beforeAll(async () => {
  scratch = await testdir({ prefix: "connect-ops-kh-" });
  dir = scratch.path;
  for (const name of ["a", "b", "c"]) {
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", join(dir, name)]);
    const line = (await readFile(join(dir, `${name}.pub`), "utf8")).trim();
    const [, blobText] = line.split(" ");
    const fingerprint =
      execFileSync("ssh-keygen", ["-l", "-E", "sha256", "-f", join(dir, `${name}.pub`)], { encoding: "utf8" }).split(
        " ",
      )[1] ?? "";
    keys[name] = { line, blob: Buffer.from(blobText ?? "", "base64"), fingerprint };
  }
});
afterAll(() => scratch[Symbol.asyncDispose]());

const key = (name: string) =>
  keys[name] ??
  (() => {
    throw new Error(name);
  })();
const typeAndKey = (name: string) => key(name).line.split(" ").slice(0, 2).join(" ");

describe("known_hosts parsing and lookup", () => {
  it("computes OpenSSH's SHA256 fingerprint", () => {
    expect(sshFingerprint(key("a").blob)).toBe(key("a").fingerprint);
  });

  it("finds plain, bracketed, comma-listed and wildcard entries", () => {
    const parsed = parseKnownHosts(
      [
        `# comment`,
        `[10.0.0.2]:122 ${typeAndKey("a")}`,
        `ghes-1,10.0.0.3 ${typeAndKey("b")} note`,
        `*.example.test ${typeAndKey("c")}`,
      ].join("\n"),
    );
    expect(parsed.invalidLines).toEqual([]);
    expect(lookupHostKey(parsed, "10.0.0.2", 122, key("a").blob)).toEqual({ status: "known" });
    expect(lookupHostKey(parsed, "10.0.0.2", 22, key("a").blob)).toEqual({ status: "unknown" });
    expect(lookupHostKey(parsed, "10.0.0.3", 22, key("b").blob)).toEqual({ status: "known" });
    expect(lookupHostKey(parsed, "node.example.test", 22, key("c").blob)).toEqual({ status: "known" });
    expect(hostFieldMatches("*.example.test,!bad.example.test", "bad.example.test")).toBe(false);
    expect(hostFieldMatches("[10.0.0.2]:122", "[10.0.0.2]:1220")).toBe(false);
  });

  it("matches hashed entries written by ssh-keygen -H", async () => {
    const file = join(dir, "hashed");
    await writeFile(file, `[10.0.0.9]:122 ${typeAndKey("a")}\nplain.test ${typeAndKey("b")}\n`);
    execFileSync("ssh-keygen", ["-H", "-f", file], { stdio: "ignore" });
    const text = await readFile(file, "utf8");
    expect(text).toMatch(/^\|1\|/);
    expect(text).not.toContain("10.0.0.9");
    const parsed = parseKnownHosts(text);
    expect(lookupHostKey(parsed, "10.0.0.9", 122, key("a").blob)).toEqual({ status: "known" });
    expect(lookupHostKey(parsed, "plain.test", 22, key("b").blob)).toEqual({ status: "known" });
    expect(lookupHostKey(parsed, "10.0.0.9", 122, key("c").blob)).toMatchObject({ status: "changed" });
  });

  it("reports a different key for a known host as changed", () => {
    const parsed = parseKnownHosts(`[h]:122 ${typeAndKey("a")}\n`);
    expect(lookupHostKey(parsed, "h", 122, key("b").blob)).toEqual({ status: "changed", knownLines: [1] });
  });

  it("refuses a @revoked key even when it is also listed as known", () => {
    const parsed = parseKnownHosts(`[h]:122 ${typeAndKey("a")}\n@revoked * ${typeAndKey("a")}\n`);
    expect(lookupHostKey(parsed, "h", 122, key("a").blob)).toEqual({ status: "revoked", line: 2 });
  });

  it("ignores @cert-authority lines and reports malformed ones", () => {
    const parsed = parseKnownHosts(
      `@cert-authority *.test ${typeAndKey("a")}\ngarbage\nh ssh-ed25519 !!!\nh ssh-rsa ${key("a").line.split(" ")[1]}\n`,
    );
    expect(parsed.invalidLines).toEqual([2, 3, 4]);
    expect(lookupHostKey(parsed, "x.test", 22, key("a").blob)).toEqual({ status: "unknown" });
  });
});

describe("HostKeyVerifier", () => {
  const node = { name: "r1", host: "127.0.0.1", port: 2222 };

  it("refuses an unknown key with its fingerprint and how to trust it", async () => {
    const verifier = await HostKeyVerifier.load(join(dir, "missing-file"));
    const error = await verifier.verify(node, key("a").blob).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: "REPL_HOST_KEY_UNKNOWN", category: "input" });
    expect((error as Error).message).toContain(key("a").fingerprint);
    expect((error as { hint: string }).hint).toContain("ssh-keyscan -p 2222 127.0.0.1 >>");
    expect((error as { hint: string }).hint).toContain("--accept-new-host-keys");
  });

  it("records a new key atomically with --accept-new-host-keys, then knows it", async () => {
    const file = join(dir, "accept-new");
    await writeFile(file, `other ${typeAndKey("c")}`); // no trailing newline
    const verifier = await HostKeyVerifier.load(file, { acceptNewHostKeys: true });
    await Promise.all([verifier.verify(node, key("a").blob), verifier.verify({ ...node, port: 2223 }, key("b").blob)]);
    const text = await readFile(file, "utf8");
    expect(text.split("\n").filter(Boolean)).toEqual([
      `other ${typeAndKey("c")}`,
      `[127.0.0.1]:2222 ${typeAndKey("a")}`,
      `[127.0.0.1]:2223 ${typeAndKey("b")}`,
    ]);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const reloaded = await HostKeyVerifier.load(file);
    await expect(reloaded.verify(node, key("a").blob)).resolves.toBeUndefined();
    // ssh-keygen -F reads what we wrote: the file stays OpenSSH-compatible.
    expect(execFileSync("ssh-keygen", ["-F", "[127.0.0.1]:2222", "-f", file], { encoding: "utf8" })).toContain(
      "ssh-ed25519",
    );
  });

  it("never replaces a changed key, even with --accept-new-host-keys", async () => {
    const file = join(dir, "changed");
    await writeFile(file, `[127.0.0.1]:2222 ${typeAndKey("a")}\n`);
    const verifier = await HostKeyVerifier.load(file, { acceptNewHostKeys: true });
    const error = await verifier.verify(node, key("b").blob).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: "REPL_HOST_KEY_CHANGED", category: "input" });
    expect((error as Error).message).toMatch(/man-in-the-middle/);
    expect(await readFile(file, "utf8")).toBe(`[127.0.0.1]:2222 ${typeAndKey("a")}\n`);
  });

  it("refuses a revoked key", async () => {
    const file = join(dir, "revoked");
    await writeFile(file, `@revoked * ${typeAndKey("a")}\n`);
    const verifier = await HostKeyVerifier.load(file, { acceptNewHostKeys: true });
    await expect(verifier.verify(node, key("a").blob)).rejects.toMatchObject({ code: "REPL_HOST_KEY_REVOKED" });
  });
});
