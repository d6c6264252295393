import { generateAgeIdentity, openSealedBytes, VaultError } from "@connect-ops/credential-vault";
import { execFileSync } from "node:child_process";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { recordReliability, RELIABILITY_TIER } from "../support/reliability-table.js";

// Damaged age files (issue 8, part 2): sealed by the reference age CLI, then
// truncated, bit-flipped or given a wrong header. Opening must end in
// VAULT_INTEGRITY (or VAULT_IDENTITY_MISMATCH when the damage hits the
// recipient stanza) — never other bytes returned, never an untyped error.

const tally = { cases: 0, failures: 0 };
let identity: string;
let sealed: Buffer;
const plaintext = Buffer.from(JSON.stringify({ note: "hostile age test payload", filler: "x".repeat(70_000) }));

beforeAll(async () => {
  const generated = await generateAgeIdentity();
  identity = generated.identity;
  sealed = execFileSync("age", ["-r", generated.recipient], { input: plaintext });
});

afterAll(() => {
  recordReliability({
    area: "hostile input",
    subject: "age files (truncated, bit flips, wrong header)",
    cases: tally.cases,
    failures: tally.failures,
    invariants: ["VAULT_INTEGRITY or VAULT_IDENTITY_MISMATCH", "never returns altered plaintext"],
  });
});

/** "ok" when the exact plaintext came back, else the typed error's code; anything else throws. */
async function openOutcome(bytes: Uint8Array): Promise<string> {
  tally.cases++;
  try {
    const opened = await openSealedBytes(bytes, [identity], [], "credentials.age");
    if (!Buffer.from(opened).equals(plaintext)) {
      tally.failures++;
      throw new Error("a damaged file opened to other plaintext");
    }
    return "ok";
  } catch (error) {
    if (
      error instanceof VaultError &&
      (error.code === "VAULT_INTEGRITY" || error.code === "VAULT_IDENTITY_MISMATCH") &&
      (error.hint ?? "") !== ""
    )
      return error.code;
    tally.failures++;
    throw error;
  }
}

describe("damaged age files", () => {
  it("the intact file made by the age CLI opens (the cases below are not vacuous)", async () => {
    expect(await openOutcome(sealed)).toBe("ok");
  });

  it(
    "every truncation is a typed error",
    async () => {
      const step = RELIABILITY_TIER === "heavy" ? 1 : 97;
      const cuts = new Set<number>([0, 1, 21, 22, sealed.indexOf("---") + 1, sealed.length - 17, sealed.length - 1]);
      for (let cut = 0; cut < sealed.length; cut += step) cuts.add(cut);
      for (const cut of cuts)
        expect(await openOutcome(sealed.subarray(0, cut))).toMatch(/^VAULT_(INTEGRITY|IDENTITY_MISMATCH)$/);
    },
    RELIABILITY_TIER === "heavy" ? 3_600_000 : 120_000,
  ); // heavy: all ~70 000 cuts, each a header unwrap and a chunk decrypt

  it("any single bit flip is a typed error (property)", async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: sealed.length - 1 }), fc.integer({ min: 0, max: 7 }), async (offset, bit) => {
        const damaged = Buffer.from(sealed);
        damaged[offset] = (damaged[offset] ?? 0) ^ (1 << bit);
        const code = await openOutcome(damaged);
        // age's header MAC and payload STREAM tags leave no byte that can change unnoticed.
        expect(code).toMatch(/^VAULT_(INTEGRITY|IDENTITY_MISMATCH)$/);
      }),
      { numRuns: RELIABILITY_TIER === "heavy" ? 2_000 : 150 },
    );
  });

  it("a wrong header, an armored file, appended bytes and 8 MB of garbage are typed errors", async () => {
    expect(await openOutcome(Buffer.concat([Buffer.from("age-encryption.org/v2\n"), sealed.subarray(22)]))).toBe(
      "VAULT_INTEGRITY",
    );
    const armored = execFileSync(
      "age",
      ["-a", "-r", execFileSync("age-keygen", ["-y"], { input: identity }).toString().trim()],
      { input: plaintext },
    );
    expect(await openOutcome(armored)).toBe("VAULT_INTEGRITY");
    expect(await openOutcome(Buffer.concat([sealed, Buffer.from("trailing")]))).toBe("VAULT_INTEGRITY");
    expect(
      await openOutcome(Buffer.concat([Buffer.from("age-encryption.org/v1\n"), Buffer.alloc(8 * 1024 * 1024, 0x41)])),
    ).toBe("VAULT_INTEGRITY");
    expect(await openOutcome(Buffer.from("age-encryption.org/v1\n-> X25519 \n--- \n"))).toMatch(
      /^VAULT_(INTEGRITY|IDENTITY_MISMATCH)$/,
    );
  });
});
