import { describe, expect, it } from "vitest";
import { SuiteResources } from "./suite-resources.js";

function resource(name: string, disposed: string[], failure?: Error): AsyncDisposable {
  return {
    [Symbol.asyncDispose]: () => {
      disposed.push(name);
      return failure === undefined ? Promise.resolve() : Promise.reject(failure);
    },
  };
}

describe("SuiteResources", () => {
  it("disposes what it holds, the last held first, and returns each resource as given", async () => {
    const disposed: string[] = [];
    const suite = new SuiteResources();
    const first = resource("ssh", disposed);
    expect(suite.hold(first)).toBe(first);
    suite.hold(resource("nodes", disposed));
    await suite[Symbol.asyncDispose]();
    expect(disposed).toEqual(["nodes", "ssh"]);
    await suite[Symbol.asyncDispose]();
    expect(disposed).toEqual(["nodes", "ssh"]);
  });

  it("disposes every resource when one fails, then throws that failure", async () => {
    const disposed: string[] = [];
    const suite = new SuiteResources();
    const failure = new Error("container would not stop");
    suite.hold(resource("ssh", disposed));
    suite.hold(resource("nodes", disposed, failure));
    await expect(suite[Symbol.asyncDispose]()).rejects.toBe(failure);
    expect(disposed).toEqual(["nodes", "ssh"]);
  });

  it("throws every failure together when several fail", async () => {
    const suite = new SuiteResources();
    const failures = [new Error("first"), new Error("second")];
    for (const failure of failures) suite.hold(resource(failure.message, [], failure));
    const error: unknown = await suite[Symbol.asyncDispose]().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AggregateError);
    expect((error as AggregateError).errors).toEqual([...failures].reverse());
  });
});
