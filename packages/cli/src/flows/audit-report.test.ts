import { testdirSync } from "@connect-ops/test-support";
import { generateKeyPairSync } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { addLayers, digestLines, listingGaps, listRegularFiles, verdictOf } from "./audit-report.js";
import { signReportBytes, verifyReportBytes } from "./audit-report-sign.js";
import { checkSignedReport } from "./audit-report-verify.js";

const keys = () => {
  const pair = generateKeyPairSync("ed25519");
  return {
    privatePem: pair.privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
    publicPem: pair.publicKey.export({ type: "spki", format: "pem" }).toString(),
  };
};

describe("verdictOf", () => {
  it("is residue when anything was found, even with gaps", () => expect(verdictOf([{}], [{}])).toBe("residue"));
  it("is inconclusive, never clean, when something could not be checked", () =>
    expect(verdictOf([], [{}])).toBe("inconclusive"));
  it("is clean only with no findings and no gaps", () => expect(verdictOf([], [])).toBe("clean"));
});

describe("digestLines", () => {
  it("does not depend on listing order", () =>
    expect(digestLines(["b\t2", "a\t1"])).toBe(digestLines(["a\t1", "b\t2"])));
  it("changes when a size changes", () => expect(digestLines(["a\t1"])).not.toBe(digestLines(["a\t2"])));
});

describe("listRegularFiles", () => {
  it("lists nothing, and leaves no gap, for a root that does not exist", async () => {
    using dir = testdirSync();
    const listing = await listRegularFiles(join(dir.path, "absent"));
    expect(listing).toEqual({ files: 0, bytes: 0, lines: [] });
    expect(listingGaps("primary", join(dir.path, "absent"), listing)).toEqual([]);
  });

  it("returns a root it cannot list as a failure that becomes a gap, never as an empty tree", async () => {
    using dir = testdirSync();
    writeFileSync(join(dir.path, "file"), "x");
    // lstat of a path under a regular file fails with ENOTDIR, not ENOENT.
    const root = join(dir.path, "file", "below");
    const listing = await listRegularFiles(root);
    expect(listing.failure).toBe("ENOTDIR");
    const gaps = listingGaps("primary", root, listing);
    expect(gaps).toMatchObject([{ location: "primary", path: root }]);
    expect(gaps[0]?.reason).toContain("the file listing failed (ENOTDIR)");
  });
});

describe("report signatures", () => {
  it("signs with a raw 64-byte Ed25519 signature that verifies", () => {
    const { privatePem, publicPem } = keys();
    const bytes = Buffer.from('{"verdict":"clean"}\n');
    const signature = signReportBytes(bytes, privatePem);
    expect(signature).toHaveLength(64);
    expect(verifyReportBytes(bytes, signature, publicPem)).toBe("valid");
  });

  it("refuses a one-byte change, another key, and a truncated signature", () => {
    const { privatePem, publicPem } = keys();
    const bytes = Buffer.from('{"verdict":"clean"}\n');
    const signature = signReportBytes(bytes, privatePem);
    const changed = Buffer.from(bytes);
    changed[3] = 0x41;
    expect(verifyReportBytes(changed, signature, publicPem)).toBe("invalid");
    expect(verifyReportBytes(bytes, signature, keys().publicPem)).toBe("invalid");
    expect(verifyReportBytes(bytes, signature.subarray(0, 63), publicPem)).toBe("invalid");
  });

  it("calls a non-Ed25519 public key invalid rather than trusting it", () => {
    const rsa = generateKeyPairSync("rsa", { modulusLength: 1024 })
      .publicKey.export({ type: "spki", format: "pem" })
      .toString();
    expect(verifyReportBytes(Buffer.from("x"), Buffer.alloc(64), rsa)).toBe("invalid");
  });
});

describe("addLayers", () => {
  it("sums counts by kind", () => expect(addLayers({ gzip: 1 }, { gzip: 2, tar: 1 }, {})).toEqual({ gzip: 3, tar: 1 }));
});

describe("checkSignedReport and older report formats", () => {
  it("still verifies a connect-ops/cleanup-report@1 report (no layers, notChecked or detectionMethod), and refuses it changed", async () => {
    using dir = testdirSync({ prefix: "cli-report-v1-" });
    const { privatePem, publicPem } = keys();
    const v1 = {
      format: "connect-ops/cleanup-report@1",
      tool: { name: "connect-ops", version: "0.9.0" },
      startedAt: "2025-06-01T00:00:00.000Z",
      finishedAt: "2025-06-01T00:00:01.000Z",
      verdict: "clean",
      fingerprintSets: ["fp-0123456789ab"],
      subject: {},
      totals: { locations: 0, filesScanned: 0, bytesScanned: 0, scannedDigest: digestLines([]) },
      locations: [],
      findings: [],
      gaps: [],
    };
    const report = join(dir.path, "old.json");
    const bytes = Buffer.from(`${JSON.stringify(v1, null, 2)}\n`);
    writeFileSync(report, bytes);
    writeFileSync(`${report}.sig`, signReportBytes(bytes, privatePem));
    writeFileSync(join(dir.path, "audit-signing.pub"), publicPem);
    expect(await checkSignedReport(report, join(dir.path, "audit-signing.pub"))).toMatchObject({
      result: "valid",
      verdict: "clean",
      finishedAt: "2025-06-01T00:00:01.000Z",
    });
    writeFileSync(report, bytes.toString().replace('"clean"', '"CLEAN"'));
    expect((await checkSignedReport(report, join(dir.path, "audit-signing.pub"))).result).toBe("invalid");
  });
});
