import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { importClusterConf } from "./cluster-conf.js";
import { ReplicationError } from "./errors.js";

// The documented shape (DOMAIN-FACTS §2.3), HA-for-cluster variant.
const CLUSTER_CONF = `[cluster]
  mysql-master = ghes-data-1
  redis-master = ghes-data-1
  primary-datacenter = primary
[cluster "ghes-app-1"]
  hostname = ghes-app-1
  ipv4 = 192.168.0.2
  datacenter = primary
  web-server = true
  uuid = 1915bffc-4be0-11ec-9121-020e101d0b31
[cluster "ghes-data-1"]
  hostname = ghes-data-1
  ipv4 = 192.168.0.4
  ipv6 = fd12:3456:789a:1::4
  datacenter = primary
  git-server = true
  mysql-server = true
; a comment
[cluster "ghes-data-1-r"]
  hostname = ghes-data-1-r
  ipv4 = 10.0.0.4 # trailing comment
  replica = enabled
  datacenter = "secondary"
  git-server
`;

describe("importClusterConf", () => {
  it("maps sections to nodes: address ipv6 > ipv4 > hostname, replica or cluster (mysql-master is not the tool's primary)", () => {
    const nodes = importClusterConf(CLUSTER_CONF, "cluster.conf");
    expect(
      nodes.map(({ name, host, role, datacenter, port, user }) => ({ name, host, role, datacenter, port, user })),
    ).toEqual([
      { name: "ghes-app-1", host: "192.168.0.2", role: "cluster", datacenter: "primary", port: 122, user: "admin" },
      {
        name: "ghes-data-1",
        host: "fd12:3456:789a:1::4",
        role: "cluster",
        datacenter: "primary",
        port: 122,
        user: "admin",
      },
      { name: "ghes-data-1-r", host: "10.0.0.4", role: "replica", datacenter: "secondary", port: 122, user: "admin" },
    ]);
    expect(
      nodes.every(
        (node) => node.path === "/data/user/common/github-connect" && node.transport === "ssh" && node.sudo === true,
      ),
    ).toBe(true);
  });

  it("an HA pair: the active node is a cluster node, the replica a replica; no node is called primary", () => {
    const nodes = importClusterConf(
      '[cluster "a"]\nhostname = a\n[cluster "b"]\nhostname = b\nreplica = enabled\n',
      "c",
    );
    expect(nodes.map((node) => node.role)).toEqual(["cluster", "replica"]);
  });

  it.each([
    ['[cluster "a"]\nhostname = a\n[cluster "b"\n', 3, "malformed section header"],
    ["hostname = a\n", 1, "outside of any"],
    ['[cluster "a"]\n\nhostname = b\n', 3, "hostname must equal"],
    ['[cluster "a"]\nipv4 = 10.0.0.1 ; ok\nipv6 = "unterminated\n', 3, "unterminated"],
    ['[cluster "a"]\nhostname = a\n[cluster "a"]\nhostname = a\n', 3, "duplicate node"],
    ['[cluster]\nmysql-master = nope\n[cluster "a"]\nhostname = a\n', 2, "mysql-master names nope"],
    ['[cluster "a"]\nipv4 = 1.2.3.4 -oProxyCommand\n', 2, "not a valid host"],
    ['[cluster "a"]\n= value\n', 2, "expected `key = value`"],
    ["[core]\nx = 1\n", 1, "no [cluster"],
  ])("refuses malformed input with the line number (%#)", (text, line, problem) => {
    try {
      importClusterConf(text, "cluster.conf");
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ReplicationError);
      expect(error).toMatchObject({ code: "REPL_CLUSTER_CONF_INVALID", category: "input", context: { line } });
      expect((error as Error).message).toContain(`cluster.conf line ${line}: `);
      expect((error as Error).message).toContain(problem);
    }
  });

  it("never crashes on arbitrary text: returns nodes or a typed error with a line inside the file", () => {
    const lineArbitrary = fc.oneof(
      fc.string(),
      fc.constantFrom(
        '[cluster "n1"]',
        "[cluster]",
        "hostname = n1",
        "ipv4 = 10.0.0.1",
        "replica = enabled",
        "mysql-master = n1",
        '"',
        "\\",
      ),
    );
    fc.assert(
      fc.property(fc.array(lineArbitrary, { maxLength: 12 }), (lines) => {
        const text = lines.join("\n");
        try {
          const nodes = importClusterConf(text, "c");
          expect(nodes.length).toBeGreaterThan(0);
        } catch (error) {
          expect(error).toBeInstanceOf(ReplicationError);
          const line = (error as ReplicationError).context["line"];
          expect(typeof line).toBe("number");
          expect(line).toBeGreaterThanOrEqual(1);
          expect(line).toBeLessThanOrEqual(Math.max(1, text.split(/\r?\n/).length));
        }
      }),
      { numRuns: 500 },
    );
  });
});
