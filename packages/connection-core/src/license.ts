import { createHash, createPublicKey } from "node:crypto";
import * as z from "zod";
import { CoreError } from "./errors.js";
import { parseInput, parseJsonText } from "./validate.js";

/** What a GHES license contributes to the connection record. */
export interface ParsedLicense {
  readonly customerName: string;
  /** The license's public key as SPKI PEM (`BEGIN PUBLIC KEY`), whatever PEM form the file used. */
  readonly publicKeyPem: string;
  /** Hex SHA-256 of the file's exact bytes (not of the parsed JSON: formatting counts). */
  readonly licenseHash: string;
}

const licenseSchema = z.looseObject({
  customer_name: z
    .string({ message: "missing: expected the customer name (a string)" })
    .trim()
    .min(1, "must not be empty"),
  public_key: z
    .string({ message: "missing: expected the license public key (a PEM string)" })
    .regex(/-----BEGIN (RSA )?PUBLIC KEY-----/, "expected a PEM public key (-----BEGIN PUBLIC KEY-----)"),
});

function licenseError(message: string, source: string, cause?: unknown): CoreError {
  return new CoreError("CORE_LICENSE_INVALID", message, {
    category: "input",
    hint: `pass the GHES license file as downloaded from the enterprise account (a JSON document with customer_name and public_key)`,
    context: { source },
    ...(cause === undefined ? {} : { cause }),
  });
}

/**
 * Parses a license file: a JSON document with at least `customer_name` and
 * `public_key` (PEM). Throws `CoreError` `CORE_LICENSE_INVALID` (category
 * `input`) naming what is missing or wrong; never echoes the file's content.
 */
export function parseLicense(bytes: Uint8Array, source: string): ParsedLicense {
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    // Replaced, not swallowed: the decoder's error says nothing more and the typed one says what to fix.
    throw licenseError(`license ${source} is not UTF-8 text`, source);
  }
  let fields: z.infer<typeof licenseSchema>;
  try {
    fields = parseInput(licenseSchema, parseJsonText(text, `license ${source}`), `license ${source}`);
  } catch (error) {
    if (error instanceof CoreError) throw licenseError(error.message, source);
    throw error;
  }
  let publicKeyPem: string;
  try {
    publicKeyPem = createPublicKey(fields.public_key).export({ type: "spki", format: "pem" }).toString();
  } catch {
    // Replaced, not swallowed: OpenSSL's decoder text is no help to an operator.
    throw licenseError(`license ${source} is invalid: public_key: the PEM public key could not be read`, source);
  }
  return {
    customerName: fields.customer_name,
    publicKeyPem,
    licenseHash: createHash("sha256").update(bytes).digest("hex"),
  };
}
