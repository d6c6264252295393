#!/usr/bin/env node
// Thin launcher: the simulator is built to dist/ by `tsc -p tsconfig.build.json`.
import "../dist/bin.js";
