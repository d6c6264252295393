import { describe, expect, it } from "vitest";
import { SuiteResources } from "./suite-resources.js";

const resource = (name: string, log: string[], fails = false): AsyncDisposable => ({
  [Symbol.asyncDispose]: () => {
    log.push(name);
    return fails ? Promise.reject(new Error(`${name} would not close`)) : Promise.resolve();
  },
});

describe("SuiteResources", () => {
  it("disposes what it holds in reverse order, once", async () => {
    const log: string[] = [];
    const suite = new SuiteResources();
    suite.hold(resource("sim", log));
    suite.hold(resource("nodes", log));
    await suite[Symbol.asyncDispose]();
    await suite[Symbol.asyncDispose]();
    expect(log).toEqual(["nodes", "sim"]);
  });

  it("disposes every resource when one fails, and reports the failure", async () => {
    const log: string[] = [];
    const suite = new SuiteResources();
    suite.hold(resource("sim", log));
    suite.hold(resource("nodes", log, true));
    await expect(suite[Symbol.asyncDispose]()).rejects.toThrow("disposing the suite's resources failed");
    expect(log).toEqual(["nodes", "sim"]);
  });
});
