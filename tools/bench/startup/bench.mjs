// Issue 2: median start-up of `connect-ops --version` ≤ 1.5× `node -e 0`.
import { join } from "node:path";
import { interleave, report } from "../interleave.mjs";

const bin = join(new URL("../../..", import.meta.url).pathname, "packages", "cli", "bin", "connect-ops.js");
const medians = interleave(
  [
    { name: "node -e 0", command: process.execPath, args: ["-e", "0"] },
    { name: "connect-ops --version", command: process.execPath, args: [bin, "--version"] },
    { name: "connect-ops --help", command: process.execPath, args: [bin, "--help"] },
  ],
  { rounds: 40 },
);
report("start-up (interleaved, 40 rounds)", medians, "node -e 0", { "connect-ops --version": 1.5 });
