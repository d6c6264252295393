import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { testdir } from "@connect-ops/test-support";
import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { ignoreMissing } from "@connect-ops/connection-core";
import type { ContractNode } from "./transport-contract.js";
import type { NodeTransport } from "../transport.js";

/** A temp-dir node for the contract suite; `open` picks the driver under test. */
export async function createTempDirNode(
  dirName: string,
  open: (dir: string) => NodeTransport,
): Promise<ContractNode & { readonly dir: string }> {
  const root = await testdir({ prefix: "connect-ops-node-" });
  const dir = root.join(dirName);
  return {
    dir,
    open: () => Promise.resolve(open(dir)),
    list: async () => {
      const names = await ignoreMissing(readdir(dir));
      if (names === undefined) return undefined;
      const entries = await Promise.all(
        names.sort().map(async (name) => ({ name, mode: (await stat(join(dir, name))).mode & 0o777 })),
      );
      return entries;
    },
    sh: async (script) => {
      await promisify(execFile)("sh", ["-c", script], { env: { ...process.env, D: dir } });
    },
    dirMode: async () =>
      stat(dir).then(
        (info) => info.mode & 0o777,
        () => undefined,
      ),
    [Symbol.asyncDispose]: () => root[Symbol.asyncDispose](),
  };
}
