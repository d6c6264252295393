import { defineProject } from "vitest/config";
// @ts-expect-error -- plain ESM helper shared by every package, typed by JSDoc only
import { sharedTestConfig } from "../../tools/test/vitest-shared.mjs";

export default defineProject(sharedTestConfig(import.meta.dirname));
