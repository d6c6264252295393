// Types for json-schemas.mjs (plain ESM tooling, typed by JSDoc there), so test/docs.test.ts
// calls it typed instead of through a @ts-expect-error import.
export declare function buildJsonSchemas(modules: {
  z: typeof import("zod");
  core: unknown;
  vault: unknown;
  replication: unknown;
  backup: unknown;
}): { file: string; json: string }[];
