import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { hasValidBech32Checksum } from "./bech32.js";
import { ageRecipientSchema } from "./schemas.js";

const realRecipient = (): string => {
  const line = execFileSync("age-keygen", { encoding: "utf8" })
    .split("\n")
    .find((text) => text.startsWith("# public key: "));
  if (line === undefined) throw new Error("age-keygen printed no public key");
  return line.slice("# public key: ".length);
};

describe("age recipients' bech32 checksum", () => {
  it("accepts recipients made by the real age-keygen", () => {
    for (let index = 0; index < 5; index++) {
      const recipient = realRecipient();
      expect(hasValidBech32Checksum(recipient, "age")).toBe(true);
      expect(ageRecipientSchema.safeParse(recipient).success).toBe(true);
    }
  });

  it("refuses every single-character change of a real recipient, naming the checksum", () => {
    const recipient = realRecipient();
    const charset = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
    for (let position = 4; position < recipient.length; position++) {
      const replacement = charset.charAt((charset.indexOf(recipient.charAt(position)) + 1) % charset.length);
      const typo = recipient.slice(0, position) + replacement + recipient.slice(position + 1);
      const parsed = ageRecipientSchema.safeParse(typo);
      expect(parsed.success, typo).toBe(false);
      expect(JSON.stringify(parsed.error?.issues)).toContain("checksum");
    }
  });

  it("refuses another human-readable part and non-bech32 characters", () => {
    const recipient = realRecipient();
    expect(hasValidBech32Checksum(recipient, "age-plugin")).toBe(false);
    expect(hasValidBech32Checksum(recipient.replace(/.$/, "b"), "age")).toBe(false); // b is not in the charset
  });
});
