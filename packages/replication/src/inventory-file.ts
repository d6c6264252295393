import { readFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { importClusterConf, type ImportClusterConfOptions } from "./cluster-conf.js";
import { ReplicationError } from "./errors.js";
import { parseInventory, type Inventory, type NodeSpec } from "./inventory.js";

async function readText(path: string, code: "REPL_INVENTORY_INVALID" | "REPL_CLUSTER_CONF_INVALID"): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    throw new ReplicationError(code, `cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? "error"})`, {
      category: "input",
      hint: "check the path and its permissions",
      context: { source: path },
      cause: error,
    });
  }
}

/** Reads and validates an inventory file; relative paths in it resolve against its directory. */
export async function readInventoryFile(path: string): Promise<Inventory> {
  const absolute = resolve(path);
  return parseInventory(await readText(absolute, "REPL_INVENTORY_INVALID"), { source: path, baseDir: dirname(absolute) });
}

/** Reads a GHES cluster.conf and returns its nodes (see `importClusterConf`). */
export async function readClusterConfFile(path: string, options: ImportClusterConfOptions = {}): Promise<NodeSpec[]> {
  return importClusterConf(await readText(resolve(path), "REPL_CLUSTER_CONF_INVALID"), path, options);
}
