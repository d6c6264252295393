#!/usr/bin/env node
// Writes docs/reference/schemas/*.schema.json from the built packages' zod schemas.
//   npx tsc -p packages/connection-core/tsconfig.build.json   (and credential-vault, replication, backup-hooks)
//   node tools/docs/generate-schemas.mjs            # write
//   node tools/docs/generate-schemas.mjs --check    # exit 1 when a committed file differs
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as z from "zod";
import * as core from "@connect-ops/connection-core";
import * as vault from "@connect-ops/credential-vault";
import * as replication from "@connect-ops/replication";
import * as backup from "@connect-ops/backup-hooks";
import { buildJsonSchemas } from "./json-schemas.mjs";

const outDir = join(import.meta.dirname, "..", "..", "docs", "reference", "schemas");
const check = process.argv.includes("--check");
let stale = 0;
mkdirSync(outDir, { recursive: true });
for (const { file, json } of buildJsonSchemas({ z, core, vault, replication, backup })) {
  const path = join(outDir, file);
  if (check) {
    let current = "";
    try {
      current = readFileSync(path, "utf8");
    } catch {
      // missing counts as stale
    }
    if (current !== json) {
      stale += 1;
      console.error(`stale: ${path} (run node tools/docs/generate-schemas.mjs)`);
    }
  } else {
    writeFileSync(path, json);
    console.log(`wrote ${path}`);
  }
}
process.exitCode = stale > 0 ? 1 : 0;
