import type { SealedCopyEntry } from "@connect-ops/credential-vault";
import { testdirSync } from "@connect-ops/test-support";
import { createHash } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { digestLines } from "../flows/audit-report.js";
import type { LocationAudit } from "./verify-cleanup-cloud.js";
import { auditUnreachableCopies, classifySealedCopies, type ShredEvidence } from "./verify-cleanup-shred.js";

const APPLIANCE = "age1appliance";
const ESCROW = "age1escrow";
const OPERATOR = "age1operator";
const hex = (text: string) => createHash("sha256").update(text).digest("hex");
const entry = (
  sha256: string,
  recipients: string[],
  where = "/data/x/github-connect/credentials.age",
): SealedCopyEntry => ({
  sha256,
  recipients,
  kind: "snapshot",
  where,
  at: "2026-01-01T00:00:00.000Z",
});
const evidence = (destroyed: string[], signature: "valid" | "invalid" = "valid"): ShredEvidence => ({
  file: "/state/shred-attestation.json",
  sha256: "sha256:00",
  signature,
  destroyed,
  finishedAt: "2026-01-01T00:00:00.000Z",
});

function snapshotAudit(path: string): LocationAudit {
  return {
    location: {
      kind: "snapshot",
      name: "/data/s",
      path: "/data/s",
      method: "residue scan",
      result: "residue",
      checks: [{ check: "residue scan", result: "residue", detail: "1 finding(s), 0 gap(s)" }],
      filesScanned: 1,
      bytesScanned: 1,
      scannedDigest: digestLines([]),
    },
    findings: [
      { location: "/data/s", path, form: "sealed-copy", encoding: "age", fingerprintId: "fp-1", recipients: [] },
    ],
    gaps: [],
  };
}

describe("classifySealedCopies", () => {
  it("calls a copy whose ledger recipients were all destroyed shredded, and the location clean", async () => {
    using dir = testdirSync({ prefix: "shred-classify-" });
    const path = join(dir.path, "credentials.age");
    writeFileSync(path, "sealed bytes");
    const { audits, shredded } = await classifySealedCopies(
      [snapshotAudit(path)],
      [entry(hex("sealed bytes"), [ESCROW, APPLIANCE])],
      [APPLIANCE, ESCROW],
    );
    expect(shredded).toEqual([
      expect.objectContaining({ path, coveredBy: "audited", recipients: [ESCROW, APPLIANCE] }),
    ]);
    expect(audits[0]?.findings).toEqual([]);
    expect(audits[0]?.location.result).toBe("clean");
  });

  it("keeps a copy with a surviving recipient as residue naming it", async () => {
    using dir = testdirSync({ prefix: "shred-classify-" });
    const path = join(dir.path, "credentials.age");
    writeFileSync(path, "other bytes");
    const { audits, shredded } = await classifySealedCopies(
      [snapshotAudit(path)],
      [entry(hex("other bytes"), [ESCROW, OPERATOR])],
      [APPLIANCE, ESCROW],
    );
    expect(shredded).toEqual([]);
    expect(audits[0]?.findings[0]?.openableBy).toEqual([OPERATOR]);
    expect(audits[0]?.location.result).toBe("residue");
  });

  it("keeps a copy the ledger does not know and whose manifest names no recipient as residue", async () => {
    using dir = testdirSync({ prefix: "shred-classify-" });
    const path = join(dir.path, "credentials.age");
    writeFileSync(path, "unknown bytes");
    const { audits, shredded } = await classifySealedCopies([snapshotAudit(path)], [], [APPLIANCE, ESCROW]);
    expect(shredded).toEqual([]);
    expect(audits[0]?.findings).toHaveLength(1);
  });
});

describe("auditUnreachableCopies", () => {
  const ledger = [entry(hex("a"), [ESCROW, APPLIANCE], "/tape/a.age"), entry(hex("b"), [ESCROW, OPERATOR])];

  it("covers listed copies by the attestation, names a survivor, and makes an unknown line a gap", () => {
    const { audit, shredded } = auditUnreachableCopies(
      "offsite.txt",
      [`sha256:${hex("a")}`, hex("b"), "/nowhere/c.age"],
      ledger,
      evidence([APPLIANCE, ESCROW]),
    );
    expect(shredded.map((copy) => copy.coveredBy)).toEqual(["attestation"]);
    expect(audit.findings.map((finding) => finding.openableBy)).toEqual([[OPERATOR]]);
    expect(audit.gaps.map((gap) => gap.path)).toEqual(["/nowhere/c.age"]);
    expect(audit.location.result).toBe("residue");
  });

  it("matches a copy by the path it was written to", () => {
    const { shredded, audit } = auditUnreachableCopies("f", ["/tape/a.age"], ledger, evidence([APPLIANCE, ESCROW]));
    expect(shredded).toHaveLength(1);
    expect(audit.location.result).toBe("clean");
  });

  it("covers nothing without a valid attestation: every line is a gap", () => {
    for (const given of [undefined, evidence([APPLIANCE, ESCROW], "invalid")]) {
      const { shredded, audit } = auditUnreachableCopies("f", [hex("a")], ledger, given);
      expect(shredded).toEqual([]);
      expect(audit.location.result).toBe("gap");
    }
  });
});
