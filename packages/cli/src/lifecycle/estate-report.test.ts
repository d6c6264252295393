import { testdirSync } from "@connect-ops/test-support";
import { generateKeyPairSync } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { signReportBytes } from "../flows/audit-report-sign.js";
import { checkSignedReport } from "../flows/audit-report-verify.js";
import { readEstateFile } from "../flows/estate-file.js";
import type { EstateReport } from "../flows/estate-report.js";
import { buildEstateReport } from "./estate-report.js";

const keys = () => {
  const pair = generateKeyPairSync("ed25519");
  return {
    privatePem: pair.privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
    publicPem: pair.publicKey.export({ type: "spki", format: "pem" }).toString(),
  };
};

type Keys = ReturnType<typeof keys>;
const signer = keys();

function cleanupReport(verdict: "clean" | "residue" | "inconclusive"): Buffer {
  const report = {
    format: "connect-ops/cleanup-report@2",
    verdict,
    finishedAt: "2026-12-02T04:00:00.000Z",
    findings: verdict === "residue" ? [{ location: "primary", form: "pem-key" }] : [],
    gaps: verdict === "inconclusive" ? [{ location: "node replica-1", reason: "unreachable" }] : [],
  };
  return Buffer.from(`${JSON.stringify(report, null, 2)}\n`);
}

/** Writes `<dir>/reports/<name>.json(.sig)` signed with `key`. */
function writeReport(dir: string, name: string, key: Keys, verdict: "clean" | "residue" | "inconclusive"): string {
  const file = join(dir, "reports", `${name}.json`);
  const bytes = cleanupReport(verdict);
  writeFileSync(file, bytes);
  writeFileSync(`${file}.sig`, signReportBytes(bytes, key.privatePem));
  return file;
}

interface Fixture {
  readonly dir: string;
  readonly appliances: Record<string, Keys>;
  readonly estateFile: string;
}

function estateFixture(dir: string, names: readonly string[], notExpected: readonly string[] = []): Fixture {
  const appliances = Object.fromEntries(names.map((name) => [name, keys()]));
  const estateFile = join(dir, "estate.json");
  writeFileSync(
    estateFile,
    JSON.stringify({
      estate: "acme",
      appliances: names.map((name) => ({
        name,
        publicKey: appliances[name]?.publicPem,
        ...(notExpected.includes(name) ? { expected: false } : {}),
      })),
    }),
  );
  return { dir, appliances, estateFile };
}

async function merge(fixture: Fixture): Promise<{ report: EstateReport; out: string }> {
  const out = join(fixture.dir, "estate-report.json");
  const outcome = await buildEstateReport(
    {
      now: () => Date.parse("2026-12-02T05:00:00Z"),
      toolVersion: "test",
      signingKey: {
        privateKeyPem: signer.privatePem,
        publicKeyPem: signer.publicPem,
        publicKeyFingerprint: "sha256:test",
      },
    },
    {
      estate: await readEstateFile(fixture.estateFile, "estate.json"),
      reportsDir: join(fixture.dir, "reports"),
      outFile: out,
    },
  );
  return { report: outcome.report, out };
}

function setup(names: readonly string[], notExpected: readonly string[] = []): Fixture & Disposable {
  const dir = testdirSync({ files: { "reports/.keep": "", "signer.pub": signer.publicPem } });
  const fixture = estateFixture(dir.path, names, notExpected);
  return { ...fixture, [Symbol.dispose]: () => dir[Symbol.dispose]() };
}

const key = (fixture: Fixture, name: string): Keys => {
  const found = fixture.appliances[name];
  if (found === undefined) throw new Error(`no key for ${name}`);
  return found;
};

describe("buildEstateReport", () => {
  it("is CLEAN only when every expected appliance is present, verified and clean; verify-report checks every embedded report", async () => {
    using fixture = setup(["prod", "staging", "dr"]);
    for (const name of ["prod", "staging", "dr"]) writeReport(fixture.dir, name, key(fixture, name), "clean");
    const { report, out } = await merge(fixture);
    expect(report.verdict).toBe("clean");
    expect(report.gaps).toEqual([]);
    expect(report.appliances.map((entry) => [entry.name, entry.verdict])).toEqual([
      ["prod", "clean"],
      ["staging", "clean"],
      ["dr", "clean"],
    ]);
    const check = await checkSignedReport(out, join(fixture.dir, "signer.pub"));
    expect(check.result).toBe("valid");
    expect(check.estate?.embedded.map((embedded) => embedded.result)).toEqual(["valid", "valid", "valid"]);
  });

  it("names the appliance with residue, and the estate is residue", async () => {
    using fixture = setup(["prod", "staging", "dr"]);
    writeReport(fixture.dir, "prod", key(fixture, "prod"), "clean");
    writeReport(fixture.dir, "staging", key(fixture, "staging"), "residue");
    writeReport(fixture.dir, "dr", key(fixture, "dr"), "clean");
    const { report } = await merge(fixture);
    expect(report.verdict).toBe("residue");
    expect(report.residue).toEqual(["staging"]);
  });

  it("lists an expected appliance without a report as a gap (inconclusive); one not expected is no gap", async () => {
    using fixture = setup(["prod", "staging", "new-dc"], ["new-dc"]);
    writeReport(fixture.dir, "prod", key(fixture, "prod"), "clean");
    const { report } = await merge(fixture);
    expect(report.verdict).toBe("inconclusive");
    expect(report.gaps).toEqual([{ appliance: "staging", reason: "absent: no report staging.json" }]);
    expect(report.appliances.find((entry) => entry.name === "new-dc")?.verdict).toBe("absent");
  });

  it("never merges a report whose signature fails as clean: tampered, signed by another key, or unsigned", async () => {
    using fixture = setup(["prod", "staging", "dr"]);
    const tampered = writeReport(fixture.dir, "prod", key(fixture, "prod"), "residue");
    writeFileSync(tampered, readFileSync(tampered, "utf8").replace('"residue"', '"clean"  '));
    writeReport(fixture.dir, "staging", keys(), "clean");
    const unsigned = writeReport(fixture.dir, "dr", key(fixture, "dr"), "clean");
    writeFileSync(`${unsigned}.sig`, "");
    const { report } = await merge(fixture);
    expect(report.verdict).toBe("inconclusive");
    expect(report.appliances.map((entry) => entry.verdict)).toEqual(["unverified", "unverified", "unverified"]);
    expect(report.appliances.every((entry) => entry.embedded === undefined)).toBe(true);
    expect(report.gaps.map((gap) => gap.appliance)).toEqual(["prod", "staging", "dr"]);
  });

  it("lists a report the estate file does not name as unlisted, without merging it", async () => {
    using fixture = setup(["prod"]);
    writeReport(fixture.dir, "prod", key(fixture, "prod"), "clean");
    writeReport(fixture.dir, "rogue", keys(), "clean");
    const { report } = await merge(fixture);
    expect(report.verdict).toBe("clean");
    expect(report.unlisted).toEqual(["rogue.json"]);
  });

  it("verify-report refuses an estate report whose embedded report was changed, even when re-signed", async () => {
    using fixture = setup(["prod", "staging"]);
    writeReport(fixture.dir, "prod", key(fixture, "prod"), "clean");
    writeReport(fixture.dir, "staging", key(fixture, "staging"), "residue");
    const { report, out } = await merge(fixture);
    const forged = {
      ...report,
      verdict: "clean",
      residue: [],
      appliances: report.appliances.map((entry) => ({ ...entry, verdict: "clean" })),
    };
    const bytes = Buffer.from(`${JSON.stringify(forged, null, 2)}\n`);
    writeFileSync(out, bytes);
    writeFileSync(`${out}.sig`, signReportBytes(bytes, signer.privatePem));
    const check = await checkSignedReport(out, join(fixture.dir, "signer.pub"));
    expect(check.result).toBe("invalid");
    expect(check.estate?.embedded.find((embedded) => embedded.appliance === "staging")).toMatchObject({
      result: "invalid",
      reason: "it says residue, the estate says clean",
    });
  });
});

describe("readEstateFile", () => {
  it.each([
    [
      "duplicate names",
      {
        appliances: [
          { name: "a", publicKey: signer.publicPem },
          { name: "a", publicKey: signer.publicPem },
        ],
      },
      /unique/,
    ],
    ["no key", { appliances: [{ name: "a" }] }, /exactly one of publicKey and publicKeyFile/],
    ["a name that is a path", { appliances: [{ name: "../a", publicKey: signer.publicPem }] }, /names a file/],
    [
      "not an Ed25519 key",
      { appliances: [{ name: "a", publicKey: "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n" }] },
      /not an Ed25519 public key/,
    ],
    ["no appliances", { appliances: [] }, /at least one appliance/],
  ])("refuses %s with an error that says what to fix", async (_name, content, message) => {
    using dir = testdirSync({ files: { "estate.json": JSON.stringify(content) } });
    await expect(readEstateFile(join(dir.path, "estate.json"), "estate.json")).rejects.toThrow(message);
  });

  it("reads publicKeyFile relative to the estate file", async () => {
    using dir = testdirSync({
      files: {
        "keys/prod.pub": signer.publicPem,
        "estate.json": '{"appliances":[{"name":"prod","publicKeyFile":"keys/prod.pub"}]}',
      },
    });
    const estate = await readEstateFile(join(dir.path, "estate.json"), "estate.json");
    expect(estate.appliances[0]?.publicKey).toBe(signer.publicPem);
    expect(estate.appliances[0]?.expected).toBe(true);
  });
});
