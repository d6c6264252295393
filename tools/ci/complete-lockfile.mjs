#!/usr/bin/env node
// The npm registry this project's machines reach mirrors only the linux-x64
// build of nx's native binary. `npm install` therefore writes no lockfile
// entry for nx's other platform packages, and npm 11's `npm ci` then refuses
// the lockfile as "out of sync". This adds those entries (optional, never
// fetched on linux-x64), so `npm ci` works. Idempotent: run it after any
// `npm install` that rewrites package-lock.json.
import { readFileSync, writeFileSync } from "node:fs";

const PLATFORMS = {
  "nx-darwin-arm64": { os: ["darwin"], cpu: ["arm64"] },
  "nx-darwin-x64": { os: ["darwin"], cpu: ["x64"] },
  "nx-freebsd-x64": { os: ["freebsd"], cpu: ["x64"] },
  "nx-linux-arm-gnueabihf": { os: ["linux"], cpu: ["arm"] },
  "nx-linux-arm64-gnu": { os: ["linux"], cpu: ["arm64"], libc: ["glibc"] },
  "nx-linux-arm64-musl": { os: ["linux"], cpu: ["arm64"], libc: ["musl"] },
  "nx-linux-x64-musl": { os: ["linux"], cpu: ["x64"], libc: ["musl"] },
  "nx-win32-arm64-msvc": { os: ["win32"], cpu: ["arm64"] },
  "nx-win32-x64-msvc": { os: ["win32"], cpu: ["x64"] },
};

const path = new URL("../../package-lock.json", import.meta.url);
const lock = JSON.parse(readFileSync(path, "utf8"));
const nx = lock.packages["node_modules/nx"];
if (nx === undefined) throw new Error("package-lock.json has no nx entry");
let added = 0;
for (const [name, version] of Object.entries(nx.optionalDependencies ?? {})) {
  const key = `node_modules/${name}`;
  const platform = PLATFORMS[name.replace("@nx/", "")];
  if (lock.packages[key] !== undefined || platform === undefined) continue;
  lock.packages[key] = { version, dev: true, license: "MIT", optional: true, ...platform };
  added += 1;
}
if (added > 0) {
  lock.packages = Object.fromEntries(
    Object.entries(lock.packages).sort(([a], [b]) => (a === "" ? -1 : b === "" ? 1 : a.localeCompare(b))),
  );
  writeFileSync(path, `${JSON.stringify(lock, null, 2)}\n`);
}
console.log(`complete-lockfile: ${added} platform entr${added === 1 ? "y" : "ies"} added for nx`);
