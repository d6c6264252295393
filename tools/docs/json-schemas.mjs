// The JSON Schemas shipped in docs/reference/schemas/, built from the zod
// schemas the packages validate with, so the documented formats are the
// accepted ones. Pure: the caller passes the packages (built or source), so
// generate-schemas.mjs writes them and test/docs.test.ts checks them.

/**
 * @param {{ z: typeof import("zod"), core: any, vault: any, replication: any, backup: any }} modules
 * @returns {Array<{ file: string, json: string }>} one entry per schema file, JSON text with a final newline
 */
export function buildJsonSchemas({ z, core, vault, replication, backup }) {
  const entries = [
    // Files an operator writes: their *input* shape (fields with defaults are optional).
    ["config", core.configSchema, "input", "connect-ops config file (<state-dir>/config.json or --config)"],
    [
      "inventory",
      replication.inventorySchema,
      "input",
      "connect-ops inventory: the nodes replicate, status, failover-check, disconnect and verify-cleanup reach",
    ],
    [
      "residue-fingerprints",
      core.residueFingerprintsSchema,
      "input",
      "one secret-free residue fingerprint set (the --fingerprints file may hold one, an array, vault/meta.json or journal/disconnect.json)",
    ],
    // Files connect-ops writes: their *output* shape.
    [
      "vault-meta",
      vault.vaultMetaSchema,
      "output",
      "vault/meta.json on the primary and on every node: what is sealed, no secret",
    ],
    [
      "credentials-bundle",
      vault.credentialsBundleSchema,
      "output",
      "the JSON sealed inside credentials.age (only ever plaintext in memory)",
    ],
    [
      "backup-manifest",
      backup.includedManifestSchema,
      "output",
      "github-connect/manifest.json written into a snapshot by backup include: no secret",
    ],
    [
      "connection-record",
      core.connectionRecordSchema,
      "output",
      "the connection record registered on the cloud (also in vault/meta.json as record)",
    ],
  ];
  return entries.map(([name, schema, io, description]) => {
    const generated = z.toJSONSchema(schema, { io, unrepresentable: "any" });
    const { $schema, ...rest } = generated;
    const document = { $schema, title: name, description, ...rest };
    return { file: `${name}.schema.json`, json: `${JSON.stringify(document, null, 2)}\n` };
  });
}
