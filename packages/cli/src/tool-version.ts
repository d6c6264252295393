import { readFile } from "node:fs/promises";

/** The CLI's version from its package.json, found upwards from this module (src/, or a bundle's main or chunk). */
export async function toolVersion(): Promise<string> {
  for (const relative of ["../package.json", "../../package.json", "../../../package.json"]) {
    // Harmless: a level without a package.json is the expected miss of this probe; "unknown" shows in the report.
    const text = await readFile(new URL(relative, import.meta.url), "utf8").catch(() => undefined);
    const pkg = text === undefined ? undefined : (JSON.parse(text) as { name?: string; version?: string });
    if (pkg?.name === "connect-ops" && pkg.version !== undefined) return pkg.version;
  }
  return "unknown";
}
