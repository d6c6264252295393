import { parseInput, parseJsonText } from "@connect-ops/connection-core";
import { createHash, createPublicKey } from "node:crypto";
import { dirname, isAbsolute, resolve } from "node:path";
import * as z from "zod";
import { usageError } from "../errors.js";
import { readArgumentFile } from "./argument-file.js";

const ESTATE_HINT =
  'an estate file is {"estate": "name", "appliances": [{"name": "prod", "publicKeyFile": "keys/prod.pub"}]} (docs/runbooks/fleet.md)';

const applianceSchema = z
  .strictObject({
    /** The appliance's name; its report is `<reports>/<name>.json` with `<name>.json.sig`. */
    name: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, "a name is letters, digits, '.', '_' or '-' (it names a file)"),
    /** The appliance's audit-signing.pub, inline (PEM)… */
    publicKey: z.string().startsWith("-----BEGIN PUBLIC KEY-----", "a PEM public key").optional(),
    /** …or as a file, relative to the estate file. */
    publicKeyFile: z.string().min(1).optional(),
    /** An appliance that is not expected (being built, retired) is merged when present and is no gap when absent. */
    expected: z.boolean().default(true),
  })
  .refine((appliance) => (appliance.publicKey === undefined) !== (appliance.publicKeyFile === undefined), {
    message: "give exactly one of publicKey and publicKeyFile",
  });

const estateSchema = z
  .strictObject({
    estate: z.string().min(1).max(200).optional(),
    appliances: z.array(applianceSchema).min(1, "list at least one appliance"),
  })
  .refine((estate) => new Set(estate.appliances.map((appliance) => appliance.name)).size === estate.appliances.length, {
    message: "appliance names must be unique",
    path: ["appliances"],
  });

/** An appliance of the estate with its signature key read and checked. */
export interface EstateAppliance {
  readonly name: string;
  readonly expected: boolean;
  readonly publicKey: string;
  /** `sha256:` of the key's DER (SPKI): what the estate report shows instead of the PEM. */
  readonly publicKeyFingerprint: string;
}

export interface Estate {
  readonly estate: string;
  readonly appliances: readonly EstateAppliance[];
}

/** `sha256:<hex>` of an Ed25519 public key's DER; throws a usage error naming `source` when it is not one. */
export function publicKeyFingerprint(publicKeyPem: string, source: string): string {
  try {
    const key = createPublicKey(publicKeyPem);
    if (key.asymmetricKeyType !== "ed25519") throw new Error(`a ${key.asymmetricKeyType ?? "unknown"} key`);
    return `sha256:${createHash("sha256")
      .update(key.export({ type: "spki", format: "der" }))
      .digest("hex")}`;
  } catch (error) {
    throw usageError(
      `${source} is not an Ed25519 public key`,
      "use the appliance's audit-signing.pub (written by `connect-ops init`)",
      error,
    );
  }
}

/**
 * Reads and validates the estate file (bounded, zod; errors name the path in
 * the file), and each appliance's public key. Every problem is a usage error
 * (exit 2): an estate report built from a wrong list would prove nothing.
 */
export async function readEstateFile(path: string, given: string): Promise<Estate> {
  const bytes = await readArgumentFile({ path, given, kind: "inventory", what: "the estate file", hint: ESTATE_HINT });
  const parsed = parseInput(estateSchema, parseJsonText(bytes.toString("utf8"), given), given, ESTATE_HINT);
  const appliances: EstateAppliance[] = [];
  for (const appliance of parsed.appliances) {
    let publicKey = appliance.publicKey;
    let source = `${given}: appliance ${appliance.name}'s publicKey`;
    if (appliance.publicKeyFile !== undefined) {
      const keyPath = isAbsolute(appliance.publicKeyFile)
        ? appliance.publicKeyFile
        : resolve(dirname(path), appliance.publicKeyFile);
      source = `${given}: appliance ${appliance.name}'s publicKeyFile ${appliance.publicKeyFile}`;
      publicKey = (
        await readArgumentFile({
          path: keyPath,
          given: appliance.publicKeyFile,
          kind: "public-key",
          what: `appliance ${appliance.name}'s public key`,
          hint: "publicKeyFile is resolved against the estate file's directory",
        })
      ).toString("utf8");
    }
    if (publicKey === undefined) throw usageError(`${source} is missing`, ESTATE_HINT);
    appliances.push({
      name: appliance.name,
      expected: appliance.expected,
      publicKey,
      publicKeyFingerprint: publicKeyFingerprint(publicKey, source),
    });
  }
  return { estate: parsed.estate ?? "estate", appliances };
}
