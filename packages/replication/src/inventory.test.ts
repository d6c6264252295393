import { describe, expect, it } from "vitest";
import { parseInventory, selectNodes } from "./inventory.js";

const parse = (value: unknown) =>
  parseInventory(JSON.stringify(value), { source: "inventory.json", baseDir: "/etc/connect-ops" });

describe("parseInventory", () => {
  it("applies GHES defaults: port 122, user admin, the github-connect path, ssh transport", () => {
    const inventory = parse({
      ssh: { identityFile: "keys/id", knownHostsFile: "/k/known_hosts" },
      nodes: [{ name: "r1", host: "10.0.0.2", role: "replica" }],
    });
    expect(inventory.ssh).toEqual({ identityFile: "/etc/connect-ops/keys/id", knownHostsFile: "/k/known_hosts" });
    expect(inventory.nodes[0]).toEqual({
      name: "r1",
      host: "10.0.0.2",
      port: 122,
      user: "admin",
      role: "replica",
      path: "/data/user/common/github-connect",
      transport: "ssh",
    });
  });

  it("GHES conventions for the whole inventory: sudo and a jump host for every ssh node but the jump host itself", () => {
    const inventory = parse({
      ssh: { sudo: true, jumpHost: "primary" },
      nodes: [
        { name: "primary", host: "203.0.113.1", port: 2222, role: "cluster" },
        { name: "c1", host: "10.0.0.2", role: "cluster" },
        { name: "c2", host: "10.0.0.3", role: "cluster", sudo: false, jumpHost: null },
        { name: "lab", role: "replica", transport: "local", path: "nodes/lab" },
      ],
    });
    const [primary, c1, c2, lab] = inventory.nodes;
    expect(primary).toMatchObject({ sudo: true });
    expect(primary?.jumpHost).toBeUndefined();
    expect(c1).toMatchObject({
      sudo: true,
      jumpHost: { name: "primary", host: "203.0.113.1", port: 2222, user: "admin" },
    });
    expect(c2?.sudo).toBeUndefined();
    expect(c2?.jumpHost).toBeUndefined();
    expect(lab?.sudo).toBeUndefined();
    expect(lab?.jumpHost).toBeUndefined();
    expect(inventory.ssh).toEqual({});
  });

  it.each([
    [{ nodes: [{ name: "c1", host: "h", role: "cluster", jumpHost: "nope" }] }, "jumpHost nope is not a node"],
    [{ nodes: [{ name: "c1", host: "h", role: "cluster", jumpHost: "c1" }] }, "another ssh node"],
    [
      {
        nodes: [
          { name: "a", host: "h", role: "cluster", jumpHost: "b" },
          { name: "b", host: "h", role: "cluster", jumpHost: "c" },
          { name: "c", host: "h", role: "cluster" },
        ],
      },
      "one hop",
    ],
    [{ nodes: [{ name: "l", role: "replica", transport: "local", path: "x", sudo: true }] }, "ssh nodes only"],
  ])("refuses a jump host or sudo that cannot work: %j", (value, problem) => {
    expect(() => parse(value)).toThrow(problem);
  });

  it("resolves a local node's relative path against the inventory's directory", () => {
    const inventory = parse({ nodes: [{ name: "demo", role: "replica", transport: "local", path: "nodes/demo" }] });
    expect(inventory.nodes[0]?.path).toBe("/etc/connect-ops/nodes/demo");
  });

  it("names every bad field path", () => {
    const attempt = () => parse({ nodes: [{ name: "a b", host: "-oProxyCommand=x", role: "boss", port: 0 }] });
    expect(attempt).toThrow(/REPL_INVENTORY_INVALID|inventory.json is invalid/);
    try {
      attempt();
    } catch (error) {
      expect(error).toMatchObject({ code: "REPL_INVENTORY_INVALID", category: "input" });
      const message = (error as Error).message;
      for (const path of ["nodes[0].name", "nodes[0].host", "nodes[0].role", "nodes[0].port"])
        expect(message).toContain(path);
    }
  });

  it("refuses duplicate names, ssh nodes without host or with a relative path, and unknown keys", () => {
    expect(() =>
      parse({
        nodes: [
          { name: "a", host: "h", role: "replica" },
          { name: "a", host: "h2", role: "cluster" },
        ],
      }),
    ).toThrow(/duplicate node name a/);
    expect(() => parse({ nodes: [{ name: "a", role: "replica" }] })).toThrow(/nodes\[0\]\.host/);
    expect(() => parse({ nodes: [{ name: "a", host: "h", role: "replica", path: "rel" }] })).toThrow(/absolute path/);
    expect(() => parse({ nodes: [{ name: "a", host: "h", role: "replica", pasword: "x" }] })).toThrow(/nodes\[0\]/);
    expect(() => parse({ nodes: [{ name: "a", host: "h", role: "replica", path: "/x\ny" }] })).toThrow(/newline/);
  });

  it("reports invalid JSON without echoing it", () => {
    expect(() => parseInventory("{secret-ish", { source: "inv.json", baseDir: "/" })).toThrow(
      /inv.json is not valid JSON/,
    );
  });
});

describe("selectNodes", () => {
  const nodes = parse({ nodes: ["a", "b", "c"].map((name) => ({ name, host: "h", role: "cluster" })) }).nodes;

  it("keeps inventory order and only the named nodes", () => {
    expect(selectNodes(nodes, ["c", "a"]).map((node) => node.name)).toEqual(["a", "c"]);
    expect(selectNodes(nodes, undefined)).toHaveLength(3);
  });

  it("refuses an unknown name as bad input", () => {
    expect(() => selectNodes(nodes, ["z"])).toThrow(
      expect.objectContaining({ code: "REPL_UNKNOWN_NODE", category: "input" }),
    );
  });
});
