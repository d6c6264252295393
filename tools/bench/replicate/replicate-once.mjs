#!/usr/bin/env node
// One whole-process replicate, as the CLI will run it: read the inventory and
// the vault, push to every node over one SSH connection each, exit 0 only when
// every node converged. Each run seals a new generation (Date.now()) so every
// run really writes, like the OpenSSH baseline it is compared with.
// Usage: replicate-once.mjs INVENTORY SEALED_FILE
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { allConverged, createReplicationPayload, readInventoryFile, replicateToNodes } from "@connect-ops/replication";

const [inventoryPath, sealedPath] = process.argv.slice(2);
const inventory = await readInventoryFile(inventoryPath);
const sealed = await readFile(sealedPath);
const meta = {
  format: "connect-ops/vault-meta@1",
  generation: Date.now(),
  sealedSha256: createHash("sha256").update(sealed).digest("hex"),
  recipients: [`age1${"q".repeat(58)}`],
  updatedAt: new Date().toISOString(),
};
const payload = createReplicationPayload(sealed, Buffer.from(`${JSON.stringify(meta, null, 2)}\n`));
const results = await replicateToNodes(inventory.nodes, payload, { ssh: inventory.ssh });
if (!allConverged(results)) {
  console.error(JSON.stringify(results.filter((result) => result.status !== "updated")));
  process.exit(3);
}
