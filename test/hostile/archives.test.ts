import { BackupError, redactSnapshot, scanPath, type ScanResult } from "@connect-ops/backup-hooks";
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { testdirSync } from "@connect-ops/test-support";
import { recordReliability, RELIABILITY_TIER } from "../support/reliability-table.js";
import { hostileCredentials, makeDirs, tarEntry, tarOf, treeDigest, writeZeroGzip } from "./archive-builders.js";

// Hostile tar and gzip in a backup snapshot (issue 8, part 2): the scanner and
// the redactor must end with findings and gaps (or a typed BackupError) —
// never a crash, a hang, a write outside the snapshot, or unbounded memory.

const credentials = hostileCredentials();
const scratch = testdirSync({ prefix: "reliability-archives-" });
const tally = { cases: 0, failures: 0 };
let caseNumber = 0;

afterAll(() => {
  scratch[Symbol.dispose]();
  recordReliability({
    area: "hostile input",
    subject: "tar and gzip in snapshots (scan + redact)",
    cases: tally.cases,
    failures: tally.failures,
    invariants: [
      "findings/gaps or BackupError",
      "nothing written outside the snapshot",
      "RSS bounded on bombs",
      "hang guard (timeout)",
    ],
  });
});

/** A snapshot (`<case>/data/<id>`) beside an `outside` tree that must never change. */
function hostileCase(files: Record<string, Buffer>): {
  snapshot: string;
  root: string;
  outside: () => Record<string, string>;
} {
  const root = join(scratch.path, `case-${caseNumber++}`);
  const snapshot = join(root, "data", "20240101T000000");
  makeDirs(snapshot, join(root, "outside", "etc"));
  writeFileSync(join(root, "outside", "etc", "passwd"), "root:x:0:0\n");
  for (const [name, bytes] of Object.entries(files)) writeFileSync(join(snapshot, name), bytes);
  return { snapshot, root, outside: () => treeDigest(root, "data") };
}

/** Scans and redacts; checks the outside tree is untouched and failures are typed. Returns the first scan. */
async function scanAndRedact(
  files: Record<string, Buffer>,
): Promise<{ scan: ScanResult; rescan: ScanResult; snapshot: string }> {
  tally.cases++;
  const { snapshot, outside } = hostileCase(files);
  const before = outside();
  try {
    const scan = await scanPath(snapshot, { matcher: credentials.matcher });
    await redactSnapshot(snapshot, { matcher: credentials.matcher }).catch((error: unknown) => {
      if (error instanceof BackupError) return;
      throw error;
    });
    expect(outside()).toEqual(before);
    const rescan = await scanPath(snapshot, { matcher: credentials.matcher });
    return { scan, rescan, snapshot };
  } catch (error) {
    tally.failures++;
    throw error;
  }
}

const secretText = () => `config\nGITHUB_TOKEN=${credentials.token}\n`;
const reasons = (result: ScanResult) => result.gaps.map((gap) => `${gap.member ?? ""}: ${gap.reason}`).join("\n");

describe("hostile tar members", () => {
  it("`..` and absolute member names: found, reported as gaps, redacted in place, nothing written outside", async () => {
    const tar = tarOf([
      tarEntry("../../outside/etc/passwd", secretText()),
      tarEntry(`/${scratch.path}/abs-secret`, secretText()),
    ]);
    const { scan, rescan } = await scanAndRedact({ "evil.tar": tar });
    expect(scan.findings.filter((finding) => finding.form === "token")).toHaveLength(2);
    expect(reasons(scan)).toMatch(/unsafe-member-path/);
    expect(rescan.findings).toEqual([]);
  });

  it("symlink and hard-link members pointing outside are gaps, never followed", async () => {
    const tar = tarOf([
      tarEntry("link", "", { type: "2", linkName: "../../../outside/etc/passwd" }),
      tarEntry("hard", "", { type: "1", linkName: "/etc/shadow" }),
      tarEntry("ok.txt", secretText()),
    ]);
    const { scan, rescan } = await scanAndRedact({ "links.tar": tar });
    expect(scan.findings.some((finding) => finding.member === "ok.txt")).toBe(true);
    expect(scan.gaps.length).toBeGreaterThanOrEqual(1);
    expect(rescan.findings).toEqual([]);
  });

  it("character, block and fifo members are skipped (no data), the secret beside them is found", async () => {
    const tar = tarOf([
      tarEntry("dev/null", "", { type: "3" }),
      tarEntry("dev/sda", "", { type: "4" }),
      tarEntry("fifo", "", { type: "6" }),
      tarEntry("env", secretText()),
    ]);
    const { scan, rescan } = await scanAndRedact({ "devices.tar": tar });
    expect(scan.findings.map((finding) => finding.member)).toEqual(["env"]);
    expect(rescan.findings).toEqual([]);
  });

  it("duplicate member names: each copy is found and redacted", async () => {
    const tar = tarOf([
      tarEntry("dup.txt", "harmless\n"),
      tarEntry("dup.txt", secretText()),
      tarEntry("dup.txt", secretText()),
    ]);
    const { scan, rescan } = await scanAndRedact({ "dup.tar": tar });
    expect(scan.findings.filter((finding) => finding.member === "dup.txt")).toHaveLength(2);
    expect(rescan.findings).toEqual([]);
  });

  it("a truncated header and a member claiming 1 GiB in a 3 KiB file are gaps, not crashes", async () => {
    const whole = tarOf([tarEntry("a.txt", secretText()), tarEntry("b.txt", "x".repeat(2000))]);
    const liar = tarOf([tarEntry("big.bin", "y".repeat(100), { claimedSize: 1024 ** 3 })]);
    const { scan } = await scanAndRedact({ "truncated.tar": whole.subarray(0, 512 + 512 + 300), "liar.tar": liar });
    expect(scan.gaps.map((gap) => gap.path).join(" ")).toMatch(/liar\.tar/);
    expect(scan.gaps.map((gap) => gap.path).join(" ")).toMatch(/truncated\.tar/);
  });

  it("nesting deeper than the limit (12 layers of tar and gzip) is a depth gap", async () => {
    let inner: Buffer = Buffer.from(secretText());
    for (let layer = 0; layer < 12; layer++)
      inner = layer % 2 === 0 ? tarOf([tarEntry(`layer-${layer}`, inner)]) : gzipSync(inner);
    const { scan } = await scanAndRedact({ "deep.tar": inner });
    expect(reasons(scan)).toMatch(/depth/i);
  });

  it("a tar with 20 000 members is scanned in bounded memory", async () => {
    const entries = Array.from({ length: 20_000 }, (_, index) =>
      tarEntry(`m/${index}`, index === 19_999 ? secretText() : "a"),
    );
    const { scan, rescan } = await scanAndRedact({ "many.tar": tarOf(entries) });
    expect(scan.findings.map((finding) => finding.member)).toEqual(["m/19999"]);
    expect(rescan.findings).toEqual([]);
  });
});

describe("hostile gzip", () => {
  it("truncated gzip is a gap; concatenated members are all read (secret in the second is found and redacted)", async () => {
    const concatenated = Buffer.concat([gzipSync("first member\n"), gzipSync(secretText())]);
    const truncated = gzipSync(`${"z".repeat(10_000)}${secretText()}`).subarray(0, 40);
    const { scan, rescan } = await scanAndRedact({
      "dump.sql.gz": concatenated,
      "cut.sql.gz": truncated,
      "tail.gz": Buffer.concat([gzipSync("ok\n"), Buffer.from("trailing garbage")]),
    });
    expect(scan.findings.some((finding) => finding.path.endsWith("dump.sql.gz"))).toBe(true);
    expect(scan.gaps.some((gap) => gap.path.endsWith("cut.sql.gz"))).toBe(true);
    expect(rescan.findings).toEqual([]);
  });

  it("a gzip bomb (512 MiB of zeros, and a bomb inside a tar) stops at the ratio limit with RSS bounded", async () => {
    const { snapshot, outside } = hostileCase({});
    await writeZeroGzip(join(snapshot, "bomb.gz"), (RELIABILITY_TIER === "heavy" ? 4096 : 512) * 1024 * 1024);
    const inner = join(scratch.path, "inner-bomb.gz");
    await writeZeroGzip(inner, 256 * 1024 * 1024);
    execFileSync("tar", ["-cf", join(snapshot, "bomb.tar"), "-C", scratch.path, "inner-bomb.gz"]);
    const before = outside();
    tally.cases++;
    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 5);
    try {
      const scan = await scanPath(snapshot, { matcher: credentials.matcher });
      await redactSnapshot(snapshot, { matcher: credentials.matcher }).catch((error: unknown) => {
        if (!(error instanceof BackupError)) throw error;
      });
      expect(scan.gaps.map((gap) => gap.path).join(" ")).toMatch(/bomb\.gz/);
      expect(scan.gaps.map((gap) => gap.path).join(" ")).toMatch(/bomb\.tar/);
      expect(outside()).toEqual(before);
      expect(peak - baseline).toBeLessThan(256 * 1024 * 1024);
    } catch (error) {
      tally.failures++;
      throw error;
    } finally {
      clearInterval(sampler);
    }
  });
});

describe("randomly damaged archives (property)", () => {
  const clean = tarOf([
    tarEntry("etc/github/connect.env", secretText()),
    tarEntry("link", "", { type: "2", linkName: "../x" }),
    tarEntry("notes.txt", "n".repeat(900)),
  ]);
  const packed = gzipSync(clean);
  it("any byte edits to a tar or tar.gz end in findings/gaps or a BackupError, and never write outside", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.boolean(),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }),
        fc.option(fc.nat(), { nil: undefined }),
        async (gzipped, edits, cut) => {
          const bytes = Buffer.from(gzipped ? packed : clean);
          for (const [at, value] of edits) bytes[at % bytes.length] = value;
          const damaged = cut === undefined ? bytes : bytes.subarray(0, cut % bytes.length);
          await scanAndRedact({ [gzipped ? "damaged.tar.gz" : "damaged.tar"]: damaged });
        },
      ),
      { numRuns: RELIABILITY_TIER === "heavy" ? 2_000 : 120 },
    );
  });
});
