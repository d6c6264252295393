import { describe, expect, it } from "vitest";
import { assessFailoverReadiness } from "./failover.js";
import type { NodeProbe } from "./probe-nodes.js";
import { makePayload, OTHER_RECIPIENT, TEST_RECIPIENT } from "./test-support/payloads.js";

const primary = makePayload(3).meta;
const IDENTITY_SHA = "a".repeat(64);
/** Every probe name used below is enrolled with OTHER_RECIPIENT, unless a test passes its own list. */
const enrolledAs = (...names: string[]) =>
  names.map((name) => ({
    name,
    recipient: OTHER_RECIPIENT,
    identitySha256: IDENTITY_SHA,
    enrolledAt: "2026-11-01T09:00:00.000Z",
  }));
const enrolled = enrolledAs("r1", "old", "key", "down", "broken");
const now = new Date("2026-11-01T10:30:00.000Z"); // token expires 11:00
const probe = (overrides: Partial<NodeProbe> = {}): NodeProbe => ({
  name: "r1",
  role: "replica",
  status: "ok",
  generation: 3,
  keyFingerprint: primary.keyFingerprint ?? null,
  tokenExpiresAt: primary.tokenExpiresAt ?? null,
  recipients: [TEST_RECIPIENT, OTHER_RECIPIENT],
  identitySha256: IDENTITY_SHA,
  sealedSha256: primary.sealedSha256,
  metaSha256: "x",
  consistent: true,
  tempFiles: 0,
  drift: "in-sync",
  durationMs: 1,
  ...overrides,
});
const failing = (result: ReturnType<typeof assessFailoverReadiness>) =>
  result.replicas.flatMap((replica) =>
    replica.checks.filter((check) => !check.ok).map((check) => `${replica.name}:${check.name}`),
  );

describe("assessFailoverReadiness", () => {
  it("is ready when every replica matches the primary and the token outlives the margin", () => {
    const result = assessFailoverReadiness(primary, [probe(), probe({ name: "c1", role: "cluster", generation: 1 })], {
      minTtlMs: 10 * 60_000,
      now,
      enrolled,
    });
    expect(result.ready).toBe(true);
    expect(result.replicas.map((replica) => replica.name)).toEqual(["r1"]);
  });

  it("names each failed check", () => {
    const result = assessFailoverReadiness(
      primary,
      [
        probe({ name: "old", generation: 2 }),
        probe({ name: "key", keyFingerprint: "SHA256:other" }),
        probe({ name: "down", status: "unreachable", error: { code: "REPL_TIMEOUT", message: "late" } }),
        probe({ name: "broken", consistent: false }),
      ],
      { minTtlMs: 10 * 60_000, now, enrolled },
    );
    expect(result.ready).toBe(false);
    expect(failing(result)).toEqual(["old:generation", "key:key-fingerprint", "down:reachable", "broken:intact"]);
  });

  it("fails the token check inside the margin", () => {
    expect(failing(assessFailoverReadiness(primary, [probe()], { minTtlMs: 31 * 60_000, now, enrolled }))).toEqual([
      "r1:token-ttl",
    ]);
  });

  it("a replica that is not enrolled is not ready, even when its copy matches the primary's", () => {
    const result = assessFailoverReadiness(primary, [probe({ recipients: [TEST_RECIPIENT] })], {
      minTtlMs: 0,
      now,
      enrolled: [],
    });
    expect(result.ready).toBe(false);
    expect(failing(result)).toEqual(["r1:enrolled"]);
    expect(result.replicas[0]?.checks.find((check) => check.name === "enrolled")?.detail).toContain(
      "no identity of its own",
    );
  });

  it("an enrolled replica whose copy is not sealed to its recipient is not ready", () => {
    expect(
      failing(
        assessFailoverReadiness(primary, [probe({ recipients: [TEST_RECIPIENT] })], { minTtlMs: 0, now, enrolled }),
      ),
    ).toEqual(["r1:recipients"]);
  });

  it("an inventory recipient other than the enrolled one fails the recipients check", () => {
    expect(
      failing(assessFailoverReadiness(primary, [probe({ recipient: TEST_RECIPIENT })], { minTtlMs: 0, now, enrolled })),
    ).toEqual(["r1:recipients"]);
  });

  it.each([
    ["missing", null, "missing"],
    ["replaced", "b".repeat(64), "differs"],
    ["not checked", undefined, "not checked"],
  ])("fails the identity check when the node's identity file is %s", (_what, identitySha256, words) => {
    const node = identitySha256 === undefined ? { ...probe(), identitySha256: undefined } : probe({ identitySha256 });
    const result = assessFailoverReadiness(primary, [node], { minTtlMs: 0, now, enrolled });
    expect(failing(result)).toEqual(["r1:identity"]);
    expect(result.replicas[0]?.checks.find((check) => check.name === "identity")?.detail).toContain(words);
  });

  it("is not ready without any replica", () => {
    expect(assessFailoverReadiness(primary, [], { minTtlMs: 0, now, enrolled })).toEqual({
      ready: false,
      replicas: [],
    });
  });
});
