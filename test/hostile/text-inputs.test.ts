import { configSchema, isConnectOpsError, parseInput, parseJsonText, parseLicense } from "@connect-ops/connection-core";
import { importClusterConf, parseInventory, parseKnownHosts } from "@connect-ops/replication";
import { generateKeyPairSync } from "node:crypto";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { recordReliability, RELIABILITY_TIER } from "../support/reliability-table.js";

// Hostile text inputs at the edges (issue 8, part 2): every parser either
// returns a well-formed value or throws its typed input error with a message
// and a hint — never another exception, never a message that echoes the input.

const RUNS = RELIABILITY_TIER === "heavy" ? 5_000 : 400;
const tally = { cases: 0, failures: 0 };

/** Runs `parse`; returns the typed error's code, or "ok". Anything else is a failure of the parser. */
function outcome(parse: () => unknown, codes: readonly string[], input?: string): string {
  tally.cases++;
  try {
    parse();
    return "ok";
  } catch (error) {
    const typed =
      isConnectOpsError(error) &&
      codes.includes(error.code) &&
      error.message.length > 0 &&
      error.category === "input" &&
      (error.hint ?? "").length > 0;
    // A value long enough to be a secret must never come back in the message.
    const echoed =
      input !== undefined && input.length >= 24 && isConnectOpsError(error) && error.message.includes(input);
    if (!typed || echoed) {
      tally.failures++;
      throw new Error(
        `untyped or echoing failure: ${error instanceof Error ? `${error.name}: ${error.message.slice(0, 200)}` : String(error)}`,
      );
    }
    return error.code;
  }
}

const inventory = (text: string) =>
  outcome(() => parseInventory(text, { source: "inventory.json", baseDir: "/srv" }), ["REPL_INVENTORY_INVALID"], text);
const clusterConf = (text: string) =>
  outcome(() => importClusterConf(text, "cluster.conf"), ["REPL_CLUSTER_CONF_INVALID"], text);
const license = (bytes: Uint8Array) => outcome(() => parseLicense(bytes, "license.ghl"), ["CORE_LICENSE_INVALID"]);
const config = (text: string) =>
  outcome(
    () => parseInput(configSchema, parseJsonText(text, "config.json"), "config.json"),
    ["CORE_INVALID_INPUT"],
    text,
  );

const VALID_INVENTORY = JSON.stringify({
  nodes: [
    { name: "replica-1", role: "replica", transport: "local", path: "nodes/r1" },
    { name: "data-1", role: "cluster", host: "10.0.0.5", port: 122 },
  ],
});
const VALID_CLUSTER_CONF = `[cluster]\n  mysql-master = ghe-1\n[cluster "ghe-1"]\n  hostname = ghe-1\n  ipv4 = 10.0.0.1\n[cluster "ghe-2"]\n  hostname = ghe-2\n  ipv4 = 10.0.0.2\n  replica = enabled\n`;
const VALID_CONFIG = JSON.stringify({ recoveryRecipients: [], tokenMinTtlSeconds: 600 });
const { publicKey } = generateKeyPairSync("rsa", { modulusLength: 1024 });
const VALID_LICENSE = JSON.stringify({
  customer_name: "Acme",
  public_key: publicKey.export({ type: "spki", format: "pem" }),
});

/** A document with a few random byte edits: the inputs a damaged file really has. */
function mutated(base: string): fc.Arbitrary<string> {
  return fc
    .array(
      fc.tuple(fc.nat(), fc.constantFrom("delete", "insert", "replace"), fc.string({ unit: "binary", maxLength: 4 })),
      { minLength: 1, maxLength: 6 },
    )
    .map((edits) => {
      let text = base;
      for (const [at, kind, chunk] of edits) {
        const index = text.length === 0 ? 0 : at % text.length;
        text =
          kind === "delete"
            ? text.slice(0, index) + text.slice(index + 1)
            : kind === "insert"
              ? text.slice(0, index) + chunk + text.slice(index)
              : text.slice(0, index) + chunk + text.slice(index + 1);
      }
      return text;
    });
}

afterAll(() => {
  recordReliability({
    area: "hostile input",
    subject: "inventory, cluster.conf, config, license, known_hosts",
    cases: tally.cases,
    failures: tally.failures,
    invariants: ["typed input error with hint or a correct value", "no echo of the input", "linear time on huge lines"],
  });
});

describe("hostile text inputs (property)", () => {
  it("inventory: any text or damaged document is a typed REPL_INVENTORY_INVALID or a valid inventory", () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string({ unit: "binary" }), mutated(VALID_INVENTORY), fc.json().map(String)),
        (text) => void inventory(text),
      ),
      { numRuns: RUNS },
    );
  });

  it("cluster.conf: any text or damaged file is a typed REPL_CLUSTER_CONF_INVALID or a node list", () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string({ unit: "binary" }), mutated(VALID_CLUSTER_CONF)),
        (text) => void clusterConf(text),
      ),
      { numRuns: RUNS },
    );
  });

  it("config: any text or damaged document is a typed CORE_INVALID_INPUT or a valid config", () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string({ unit: "binary" }), mutated(VALID_CONFIG), fc.json().map(String)),
        (text) => void config(text),
      ),
      { numRuns: RUNS },
    );
  });

  it("license: any bytes or damaged license are a typed CORE_LICENSE_INVALID or a parsed license", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 512 }),
          mutated(VALID_LICENSE).map((text) => Buffer.from(text)),
        ),
        (bytes) => void license(bytes),
      ),
      { numRuns: Math.ceil(RUNS / 4) },
    );
  });

  it("known_hosts: any text parses to entries plus invalid line numbers, never a throw", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), (text) => {
        tally.cases++;
        const parsed = parseKnownHosts(text);
        const lines = text.split(/\r?\n/).length;
        for (const line of parsed.invalidLines) expect(line).toBeLessThanOrEqual(lines);
        for (const entry of parsed.entries) expect(entry.line).toBeLessThanOrEqual(lines);
      }),
      { numRuns: RUNS },
    );
  });
});

describe("hostile text inputs (named cases)", () => {
  it("a valid inventory and cluster.conf still parse (the properties are not vacuous)", () => {
    expect(inventory(VALID_INVENTORY)).toBe("ok");
    expect(clusterConf(VALID_CLUSTER_CONF)).toBe("ok");
    expect(config(VALID_CONFIG)).toBe("ok");
    expect(license(Buffer.from(VALID_LICENSE))).toBe("ok");
  });

  it("JSON nested 100 000 deep is refused as a typed error, not a stack overflow", () => {
    const deep = `${"[".repeat(100_000)}${"]".repeat(100_000)}`;
    expect(inventory(deep)).toBe("REPL_INVENTORY_INVALID");
    expect(config(deep)).toBe("CORE_INVALID_INPUT");
    expect(license(Buffer.from(`{"customer_name":"a","public_key":"x","extra":${deep}}`))).toBe("CORE_LICENSE_INVALID");
    const deepField = `{"nodes":[{"name":"n","role":"replica","transport":"local","path":"p","extra":${deep}}]}`;
    expect(inventory(deepField)).toBe("REPL_INVENTORY_INVALID");
    expect(config(`{"recoveryRecipients":${deep}}`)).toBe("CORE_INVALID_INPUT");
  });

  it("__proto__ and constructor keys neither pollute nor pass validation", () => {
    expect(inventory('{"nodes":[],"__proto__":{"polluted":true}}')).not.toBe("ok-polluted");
    expect(config('{"__proto__":{"recoveryRecipients":["x"]},"constructor":{"prototype":{"polluted":1}}}')).toBe(
      "CORE_INVALID_INPUT",
    );
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("a node path with `..` or NUL, a 10 000-node inventory, and a BOM are handled", () => {
    expect(
      inventory(JSON.stringify({ nodes: [{ name: "r", role: "replica", transport: "local", path: "a\0b" }] })),
    ).toMatch(/^(ok|REPL_INVENTORY_INVALID)$/);
    const many = {
      nodes: Array.from({ length: 10_000 }, (_, index) => ({
        name: `n${index}`,
        role: "cluster",
        host: `10.0.${index >> 8}.${index & 255}`,
      })),
    };
    expect(inventory(JSON.stringify(many))).toMatch(/^(ok|REPL_INVENTORY_INVALID)$/);
    expect(inventory(`\uFEFF${VALID_INVENTORY}`)).toMatch(/^(ok|REPL_INVENTORY_INVALID)$/);
  });

  it("cluster.conf: an include, a continuation line, a duplicate node and a 2 MB header line are typed errors", () => {
    expect(clusterConf(`[include]\n  path = /etc/passwd\n${VALID_CLUSTER_CONF}`)).toMatch(
      /^(ok|REPL_CLUSTER_CONF_INVALID)$/,
    );
    expect(clusterConf(`[cluster "a"]\n  hostname = a\\\n`)).toBe("REPL_CLUSTER_CONF_INVALID");
    expect(clusterConf(`[cluster "a"]\n  ipv4 = 10.0.0.1\n[cluster "a"]\n  ipv4 = 10.0.0.2\n`)).toBe(
      "REPL_CLUSTER_CONF_INVALID",
    );
    expect(clusterConf(`[cluster${" ".repeat(2_000_000)}x\n`)).toBe("REPL_CLUSTER_CONF_INVALID");
    expect(clusterConf(`[cluster "${"\\\\".repeat(500_000)}`)).toBe("REPL_CLUSTER_CONF_INVALID");
    expect(clusterConf(`[cluster "a;rm -rf /"]\n  ipv4 = 10.0.0.1\n`)).toBe("REPL_CLUSTER_CONF_INVALID");
    // `;` starts a comment in git-config: the shell text is dropped, never kept in the host.
    expect(importClusterConf(`[cluster "a"]\n  ipv4 = 10.0.0.1;touch /tmp/x\n`, "cluster.conf")[0]?.host).toBe(
      "10.0.0.1",
    );
    expect(clusterConf(`[cluster "a"]\n  ipv4 = "10.0.0.1;touch /tmp/x"\n`)).toBe("REPL_CLUSTER_CONF_INVALID");
  });

  it("known_hosts: a 4 MB base64 field and 100 000 junk lines finish and are reported as invalid lines", () => {
    const big = parseKnownHosts(`host ssh-ed25519 ${"A".repeat(4_000_000)}\n`);
    expect(big.entries).toEqual([]);
    expect(big.invalidLines).toEqual([1]);
    const junk = parseKnownHosts("@revoked\n|1|x|y ssh-rsa !!\n".repeat(50_000));
    expect(junk.entries).toEqual([]);
    expect(junk.invalidLines).toHaveLength(100_000);
    tally.cases += 2;
  });

  it("license: a private key where the public key belongs, and a 20 MB file, are refused without echo", () => {
    const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 1024 });
    const privatePem = privateKey.export({ type: "pkcs1", format: "pem" }).toString();
    const code = license(Buffer.from(JSON.stringify({ customer_name: "Acme", public_key: privatePem })));
    expect(code).toMatch(/^(ok|CORE_LICENSE_INVALID)$/);
    expect(license(Buffer.alloc(20 * 1024 * 1024, 0x7b))).toBe("CORE_LICENSE_INVALID");
    expect(license(Buffer.from([0xff, 0xfe, 0x00]))).toBe("CORE_LICENSE_INVALID");
  });
});
