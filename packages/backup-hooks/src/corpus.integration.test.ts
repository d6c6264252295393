import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { crc32, deflateRawSync } from "node:zlib";
import { stringContaining, testdirSync } from "@connect-ops/test-support";
import { describe, expect, it } from "vitest";
import { scanPath } from "./scan-path.js";
import { testCredentials } from "./test-support/credentials.js";

/**
 * The decoder corpus (issue 13, Must show): each case is a way real tools
 * write the App key or a token into a backup, built with those tools from the
 * test credentials, placed in a snapshot and scanned. Every case is found (a
 * finding: exit 1) or a named gap (exit 3); none may be CLEAN.
 *
 * A case whose decoder or detector is being built elsewhere goes in the table
 * too, listed in PENDING: skipped until that work is merged, then enabled by
 * taking its name out. None is pending now.
 */
const PENDING = new Set<string>([]);

const credentials = testCredentials();

type Expectation = { readonly found: true } | { readonly gap: RegExp };
const FOUND: Expectation = { found: true };

interface CorpusCase {
  readonly name: string;
  /** A shell script run in a work dir holding key.pem (PKCS#1), token.txt (classic), jwt.txt; it writes into out/. */
  readonly script: string;
  readonly expect: Expectation;
}

/** A gzip member with FEXTRA, FNAME and FCOMMENT set (the gzip CLI writes only FNAME), built from RFC 1952. */
function gzipWithHeaderFields(content: Buffer, comment: string): Buffer {
  const extra = Buffer.from("AB\x04\x00test", "latin1");
  const header = Buffer.from([0x1f, 0x8b, 0x08, 0x04 | 0x08 | 0x10, 0, 0, 0, 0, 0, 3]);
  const length = Buffer.alloc(2);
  length.writeUInt16LE(extra.length);
  const trailer = Buffer.alloc(8);
  trailer.writeUInt32LE(crc32(content), 0);
  trailer.writeUInt32LE(content.length % 2 ** 32, 4);
  return Buffer.concat([
    header,
    length,
    extra,
    Buffer.from("app.conf\0", "latin1"),
    Buffer.from(`${comment}\0`, "latin1"),
    deflateRawSync(content),
    trailer,
  ]);
}

const TAR_OF_TOKEN = "mkdir -p t/etc && cp token.txt t/etc/token && tar -C t -cf";

const CASES: readonly CorpusCase[] = [
  { name: "pem-plain", script: "cp key.pem out/key.pem", expect: FOUND },
  { name: "gzip", script: "gzip -c key.pem > out/key.pem.gz", expect: FOUND },
  { name: "gzip-concatenated", script: "(gzip -c token.txt; gzip -c key.pem) > out/two.gz", expect: FOUND },
  { name: "gzip-header-fields", script: "cp fields.gz out/app.conf.gz", expect: FOUND },
  { name: "gzip-comment-holds-token", script: "cp comment.gz out/comment.gz", expect: FOUND },
  {
    name: "gzip-after-script",
    script: `${TAR_OF_TOKEN} p.tar etc && printf '#!/bin/sh\\ntail -n +4 "$0" | tar -xz\\nexit 0\\n' > out/install.sh && gzip -c p.tar >> out/install.sh`,
    expect: FOUND,
  },
  {
    name: "git-loose-object",
    script: "git init -q --bare out/repo.git && git -C out/repo.git hash-object -w --stdin < key.pem >/dev/null",
    expect: FOUND,
  },
  {
    name: "git-pack",
    script:
      'git init -q --bare r.git && git -C r.git hash-object -w --stdin < key.pem > ids && git -C r.git pack-objects -q "$PWD/out/pack" < ids >/dev/null',
    expect: FOUND,
  },
  { name: "xz", script: "xz -c key.pem > out/key.pem.xz", expect: FOUND },
  { name: "lzma-alone", script: "xz --format=lzma -c key.pem > out/key.pem.lzma", expect: FOUND },
  { name: "zstd", script: "zstd -q -c key.pem > out/key.pem.zst", expect: FOUND },
  { name: "bzip2", script: "bzip2 -c key.pem > out/key.pem.bz2", expect: FOUND },
  { name: "zip-deflate", script: "zip -q out/a.zip key.pem", expect: FOUND },
  { name: "zip-stored", script: "zip -q -0 out/a.zip key.pem", expect: FOUND },
  { name: "zip-streamed-data-descriptor", script: "zip -q - key.pem > out/a.zip", expect: FOUND },
  {
    name: "zip-encrypted",
    script: "zip -q -P hunter2 out/a.zip key.pem",
    expect: { gap: /^encrypted-content: zip member/ },
  },
  { name: "zip-in-tar-gz", script: "zip -q k.zip key.pem && tar -czf out/b.tar.gz k.zip", expect: FOUND },
  { name: "tar-gnu", script: `${TAR_OF_TOKEN} out/a.tar --format=gnu etc`, expect: FOUND },
  { name: "tar-pax", script: `${TAR_OF_TOKEN} out/a.tar --format=posix etc`, expect: FOUND },
  { name: "tar-ustar", script: `${TAR_OF_TOKEN} out/a.tar --format=ustar etc`, expect: FOUND },
  { name: "tar-v7", script: `${TAR_OF_TOKEN} out/a.tar --format=v7 etc`, expect: FOUND },
  {
    name: "tar-data-after-end",
    script: `mkdir -p t/etc && echo hello > t/etc/motd && tar -C t -cf a.tar etc && cat a.tar token.txt > out/a.tar`,
    expect: FOUND,
  },
  {
    name: "tar-second-archive-appended",
    script: `mkdir -p u && echo hello > u/motd && tar -C u -cf a.tar motd && ${TAR_OF_TOKEN} b.tar etc && cat a.tar b.tar > out/ab.tar`,
    expect: FOUND,
  },
  {
    name: "tar-pax-header-holds-token",
    script: `echo x > f && tar --format=posix --pax-option="comment=$(cat token.txt)" -cf out/a.tar f`,
    expect: FOUND,
  },
  { name: "tar-gz", script: `${TAR_OF_TOKEN} a.tar etc && gzip -c a.tar > out/a.tar.gz`, expect: FOUND },
  { name: "tar-xz", script: `${TAR_OF_TOKEN} out/a.tar.xz -J etc`, expect: FOUND },
  { name: "tar-zst", script: `${TAR_OF_TOKEN} out/a.tar.zst --zstd etc`, expect: FOUND },
  { name: "tar-bz2", script: `${TAR_OF_TOKEN} out/a.tar.bz2 -j etc`, expect: FOUND },
  {
    name: "nested-xz-in-zip-in-tar-bz2",
    script: "xz -c key.pem > k.xz && zip -q k.zip k.xz && tar -cjf out/n.tar.bz2 k.zip",
    expect: FOUND,
  },
  // The formats of the content detector and the text decoders.
  { name: "der-pkcs1", script: "openssl rsa -in key.pem -outform DER -out out/key.der 2>/dev/null", expect: FOUND },
  {
    name: "der-pkcs8",
    script: "openssl pkcs8 -topk8 -nocrypt -in key.pem -outform DER -out out/key.p8 2>/dev/null",
    expect: FOUND,
  },
  { name: "pem-pkcs8", script: "openssl pkcs8 -topk8 -nocrypt -in key.pem -out out/key.p8.pem", expect: FOUND },
  {
    name: "openssh-format",
    script: 'cp key.pem k && chmod 600 k && ssh-keygen -q -p -N "" -f k && cp k out/id_rsa',
    expect: FOUND,
  },
  { name: "openssl-rsa-text", script: "openssl rsa -in key.pem -text -noout > out/key.txt 2>/dev/null", expect: FOUND },
  {
    name: "xxd-hexdump-der",
    script: "openssl rsa -in key.pem -outform DER 2>/dev/null | xxd > out/key.hex",
    expect: FOUND,
  },
  {
    name: "hex-plain-der",
    script: "openssl rsa -in key.pem -outform DER 2>/dev/null | xxd -p > out/key.hex",
    expect: FOUND,
  },
  {
    name: "base64-width-76-der",
    script: "openssl rsa -in key.pem -outform DER 2>/dev/null | base64 -w 76 > out/key.b64",
    expect: FOUND,
  },
  {
    name: "base64-of-tar-gz",
    script: `${TAR_OF_TOKEN} a.tar etc && gzip -c a.tar | base64 > out/a.b64`,
    expect: FOUND,
  },
  {
    name: "json-u-escapes",
    script: `printf '{"token":"' > out/a.json && sed 's/_/\\\\u005f/' token.txt | tr -d '\\n' >> out/a.json && printf '"}' >> out/a.json`,
    expect: FOUND,
  },
  {
    name: "url-encoded-pem",
    script: "sed 's/ /%20/g; s/+/%2B/g; s,/,%2F,g; s/=/%3D/g' key.pem | tr -d '\\n' > out/key.url",
    expect: FOUND,
  },
  { name: "utf16le-pem", script: "iconv -f UTF-8 -t UTF-16LE key.pem > out/key.utf16", expect: FOUND },
  // -f3-: the JWT's base64url may hold `_` itself (-f3 cut it there, a random header fragment).
  { name: "jwt-part-alone", script: "cut -d_ -f3- jwt.txt > out/jwt", expect: FOUND },
  { name: "token-without-prefix", script: "cut -c5- token.txt > out/t", expect: FOUND },
  { name: "token-split-over-lines", script: "fold -w 20 token.txt > out/t", expect: FOUND },
  {
    name: "pem-encrypted",
    script: "openssl rsa -in key.pem -aes256 -passout pass:hunter2 -out out/key.enc.pem 2>/dev/null",
    expect: { gap: /^encrypted-content/ },
  },
];

/** Builds one case in a snapshot layout (`data/<timestamp>/<case>/…`) with the real tools; returns the snapshot. */
function buildCase(root: string, corpusCase: CorpusCase): string {
  const work = join(root, "work");
  const snapshot = join(root, "data", "20250101T000000");
  mkdirSync(join(work, "out"), { recursive: true });
  mkdirSync(snapshot, { recursive: true });
  // The secrets go into files, never into argv: the scripts read them from there.
  writeFileSync(join(work, "key.pem"), credentials.pem, { mode: 0o600 });
  writeFileSync(join(work, "token.txt"), `${credentials.classicToken}\n`);
  writeFileSync(join(work, "jwt.txt"), `${credentials.jwtToken}\n`);
  writeFileSync(join(work, "fields.gz"), gzipWithHeaderFields(Buffer.from(`token=${credentials.classicToken}\n`), "c"));
  writeFileSync(
    join(work, "comment.gz"),
    gzipWithHeaderFields(Buffer.from("nothing here\n"), credentials.classicToken),
  );
  execFileSync("sh", ["-ec", corpusCase.script], { cwd: work, stdio: ["ignore", "ignore", "pipe"] });
  execFileSync("cp", ["-a", join(work, "out"), join(snapshot, corpusCase.name)]);
  return snapshot;
}

describe("decoder corpus: every way real tools write a credential is found or a named gap, never CLEAN", () => {
  it("lists every pending case in the table", () => {
    const names = new Set(CASES.map((corpusCase) => corpusCase.name));
    expect([...PENDING].filter((name) => !names.has(name))).toEqual([]);
  });

  for (const corpusCase of CASES)
    it.skipIf(PENDING.has(corpusCase.name))(corpusCase.name, async () => {
      using dir = testdirSync({ prefix: "corpus-" });
      const snapshot = buildCase(dir.path, corpusCase);
      const result = await scanPath(snapshot, { matcher: credentials.matcher });
      const verdict = result.findings.length > 0 ? "found" : result.gaps.length > 0 ? "gap" : "CLEAN";
      expect(verdict, JSON.stringify(result.gaps)).not.toBe("CLEAN");
      if ("found" in corpusCase.expect) expect(verdict, JSON.stringify(result.gaps)).toBe("found");
      else {
        expect(result.findings).toEqual([]);
        const { gap } = corpusCase.expect;
        expect(
          result.gaps.some((found) => gap.test(found.reason)),
          JSON.stringify(result.gaps),
        ).toBe(true);
      }
    });
});

/**
 * age files anywhere (issue 13.3): an age file under any name, in any layer,
 * is a known copy (its SHA-256 in the sealed-copy ledger), opened with the
 * identities the audit holds and its plaintext scanned, or a named gap.
 * The files are written by the real `age` CLI (and by the vault's sealBytes,
 * as the vault writes its sealed copy); secrets reach it through files only.
 */
describe("decoder corpus: age files under any name", () => {
  const identities = async (): Promise<{ identity: string; recipient: string }> => {
    const { generateAgeIdentity } = await import("@connect-ops/credential-vault");
    return generateAgeIdentity();
  };

  function ageCase(
    dir: string,
    script: string,
    env: Record<string, string>,
    extra: Record<string, Uint8Array> = {},
  ): string {
    const work = join(dir, "work");
    const snapshot = join(dir, "snapshot");
    mkdirSync(join(work, "out"), { recursive: true });
    mkdirSync(snapshot, { recursive: true });
    writeFileSync(join(work, "key.pem"), credentials.pem, { mode: 0o600 });
    for (const [name, bytes] of Object.entries(extra)) writeFileSync(join(work, name), bytes, { mode: 0o600 });
    execFileSync("sh", ["-ec", script], {
      cwd: work,
      stdio: ["ignore", "ignore", "pipe"],
      env: { ...process.env, ...env },
    });
    execFileSync("cp", ["-a", join(work, "out"), join(snapshot, "case")]);
    return snapshot;
  }

  it("the vault's sealed copy renamed to notes.bin inside a tar.gz is a known copy by its ledger hash", async () => {
    using dir = testdirSync({ prefix: "corpus-age-" });
    const appliance = await identities();
    const { sealBytes } = await import("@connect-ops/credential-vault");
    const sealed = await sealBytes(Buffer.from(credentials.pem), [appliance.recipient]);
    const sha256 = createHash("sha256").update(sealed).digest("hex");
    const snapshot = ageCase(
      dir.path,
      "mkdir -p t/misc && cp credentials.age t/misc/notes.bin && tar -C t -czf out/home.tar.gz misc",
      {},
      { "credentials.age": sealed },
    );
    const result = await scanPath(snapshot, {
      matcher: credentials.matcher,
      age: { knownCopies: [{ sha256, recipients: [appliance.recipient] }], identities: [] },
    });
    expect(result.gaps).toEqual([]);
    expect(result.findings).toEqual([
      expect.objectContaining({
        form: "sealed-copy",
        encoding: "age",
        sha256,
        recipients: [appliance.recipient],
        member: "misc/notes.bin",
      }),
    ]);
    expect(result.layersDecoded).toMatchObject({ gzip: 1, tar: 1, age: 1 });
  });

  it("the same renamed copy, not in the ledger, is opened with the appliance identity and its key found", async () => {
    using dir = testdirSync({ prefix: "corpus-age-" });
    const appliance = await identities();
    const { sealBytes } = await import("@connect-ops/credential-vault");
    const sealed = await sealBytes(Buffer.from(credentials.pem), [appliance.recipient]);
    const snapshot = ageCase(
      dir.path,
      "mkdir -p t/misc && cp credentials.age t/misc/notes.bin && tar -C t -czf out/home.tar.gz misc",
      {},
      { "credentials.age": sealed },
    );
    const result = await scanPath(snapshot, {
      matcher: credentials.matcher,
      age: { knownCopies: [], identities: [appliance.identity] },
    });
    expect(result.findings.length).toBeGreaterThan(0);
    expect(result.findings.every((finding) => finding.member === "misc/notes.bin!(age)")).toBe(true);
  });

  for (const armor of [false, true])
    it(`an age file the age CLI sealed to the appliance recipient${armor ? " (armored)" : ""} is opened and its key found`, async () => {
      using dir = testdirSync({ prefix: "corpus-age-" });
      const appliance = await identities();
      const snapshot = ageCase(dir.path, `age ${armor ? "-a " : ""}-r "$RECIPIENT" -o out/blob.dat key.pem`, {
        RECIPIENT: appliance.recipient,
      });
      const result = await scanPath(snapshot, {
        matcher: credentials.matcher,
        age: { knownCopies: [], identities: [appliance.identity] },
      });
      expect(result.gaps).toEqual([]);
      expect(result.findings.length).toBeGreaterThan(0);
      expect(result.findings.every((finding) => finding.member === "(age)")).toBe(true);
    });

  for (const armor of [false, true])
    it(`an age file sealed to a foreign key${armor ? " (armored)" : ""} is a gap, never CLEAN`, async () => {
      using dir = testdirSync({ prefix: "corpus-age-" });
      const appliance = await identities();
      const snapshot = ageCase(
        dir.path,
        `age-keygen -o foreign.txt 2>/dev/null && age ${armor ? "-a " : ""}-r "$(age-keygen -y foreign.txt)" -o out/other.bin key.pem`,
        {},
      );
      const result = await scanPath(snapshot, {
        matcher: credentials.matcher,
        age: { knownCopies: [], identities: [appliance.identity] },
      });
      expect(result.findings).toEqual([]);
      expect(result.gaps).toEqual([expect.objectContaining({ reason: stringContaining("age-not-ours") })]);
    });

  it("an armored age file pasted into the middle of a config file is opened through its base64", async () => {
    using dir = testdirSync({ prefix: "corpus-age-" });
    const appliance = await identities();
    const snapshot = ageCase(
      dir.path,
      `{ echo 'notes: |'; age -a -r "$RECIPIENT" key.pem | sed 's/^/  /'; echo 'end: true'; } > out/app.yml`,
      { RECIPIENT: appliance.recipient },
    );
    const result = await scanPath(snapshot, {
      matcher: credentials.matcher,
      age: { knownCopies: [], identities: [appliance.identity] },
    });
    expect(result.gaps).toEqual([]);
    expect(result.findings.length).toBeGreaterThan(0);
  });

  it("without identities or ledger (off the appliance) an age file is a gap", async () => {
    using dir = testdirSync({ prefix: "corpus-age-" });
    const appliance = await identities();
    const snapshot = ageCase(dir.path, `age -r "$RECIPIENT" -o out/blob.dat key.pem`, {
      RECIPIENT: appliance.recipient,
    });
    const result = await scanPath(snapshot, { matcher: credentials.matcher });
    expect(result.findings).toEqual([]);
    expect(result.gaps).toEqual([expect.objectContaining({ reason: stringContaining("age-not-ours") })]);
  });
});
