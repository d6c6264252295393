// Loaded with `node --import` by test/startup-modules.test.ts: registers hooks.mjs, which appends
// the URL of every module the process loads to the file named by CONNECT_OPS_MODULE_TRACE.
import { register } from "node:module";

register(new URL("./hooks.mjs", import.meta.url), { data: { trace: process.env.CONNECT_OPS_MODULE_TRACE } });
