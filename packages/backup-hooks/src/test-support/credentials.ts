import { generateKeyPairSync, randomBytes } from "node:crypto";
import {
  createResidueMatcher,
  deriveResidueFingerprints,
  type ResidueFingerprints,
  type ResidueMatcher,
} from "@connect-ops/connection-core";

export interface TestCredentials {
  readonly pem: string;
  readonly pemLines: string[];
  readonly classicToken: string;
  readonly jwtToken: string;
  readonly fingerprints: ResidueFingerprints;
  readonly matcher: ResidueMatcher;
}

const ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

function alnum(length: number): string {
  return Array.from(randomBytes(length), (byte) => ALNUM[byte % ALNUM.length]).join("");
}

function base64url(bytes: number): string {
  return randomBytes(bytes).toString("base64url");
}

let cached: TestCredentials | undefined;

/** One RSA key (PKCS#1, as GitHub issues them) and both token formats, plus their fingerprints. */
export function testCredentials(): TestCredentials {
  if (cached) return cached;
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const pem = privateKey.export({ type: "pkcs1", format: "pem" }).toString();
  const classicToken = `ghs_${alnum(36)}`;
  const jwtToken = `ghs_424242_${base64url(27)}.${base64url(120)}.${base64url(256)}`;
  const fingerprints = deriveResidueFingerprints({
    appId: 424242,
    privateKeyPem: pem,
    tokens: [classicToken, jwtToken],
    saltBytes: randomBytes(16),
  });
  const pemLines = pem.split("\n").filter((line) => line.length >= 32 && !line.startsWith("-----"));
  cached = { pem, pemLines, classicToken, jwtToken, fingerprints, matcher: createResidueMatcher([fingerprints]) };
  return cached;
}

/** Asserts helper: every secret string a result must never contain. */
export function secretStrings(credentials: TestCredentials): string[] {
  return [
    credentials.classicToken,
    credentials.jwtToken,
    ...credentials.pemLines,
    Buffer.from(credentials.classicToken).toString("base64"),
    Buffer.from(credentials.pem).toString("base64").slice(0, 64),
  ];
}
