import { isConnectOpsError, readInputText, type InputKind } from "@connect-ops/connection-core";
import { dirname, resolve } from "node:path";
import { importClusterConf, type ImportClusterConfOptions } from "./cluster-conf.js";
import { ReplicationError } from "./errors.js";
import { parseInventory, type Inventory, type NodeSpec } from "./inventory.js";

async function readText(path: string, code: "REPL_INVENTORY_INVALID" | "REPL_CLUSTER_CONF_INVALID"): Promise<string> {
  const kind: InputKind = code === "REPL_INVENTORY_INVALID" ? "inventory" : "cluster-conf";
  try {
    return await readInputText(path, { kind });
  } catch (error) {
    // Not a file, too large, too slow: the reader's own coded error says it best.
    if (isConnectOpsError(error) && error.code !== "INPUT_UNREADABLE") throw error;
    const errno = isConnectOpsError(error) ? error.context.errno : undefined;
    throw new ReplicationError(code, `cannot read ${path} (${typeof errno === "string" ? errno : "error"})`, {
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
  return parseInventory(await readText(absolute, "REPL_INVENTORY_INVALID"), {
    source: path,
    baseDir: dirname(absolute),
  });
}

/** Reads a GHES cluster.conf and returns its nodes (see `importClusterConf`). */
export async function readClusterConfFile(path: string, options: ImportClusterConfOptions = {}): Promise<NodeSpec[]> {
  return importClusterConf(await readText(resolve(path), "REPL_CLUSTER_CONF_INVALID"), path, options);
}
