import { describe, expect, it } from "vitest";
import { assessFailoverReadiness } from "./failover.js";
import type { NodeProbe } from "./probe-nodes.js";
import { makePayload, OTHER_RECIPIENT, TEST_RECIPIENT } from "./test-support/payloads.js";

const primary = makePayload(3).meta;
const now = new Date("2026-11-01T10:30:00.000Z"); // token expires 11:00
const probe = (overrides: Partial<NodeProbe> = {}): NodeProbe => ({
  name: "r1",
  role: "replica",
  status: "ok",
  generation: 3,
  keyFingerprint: primary.keyFingerprint ?? null,
  tokenExpiresAt: primary.tokenExpiresAt ?? null,
  recipients: [TEST_RECIPIENT],
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
      { minTtlMs: 10 * 60_000, now },
    );
    expect(result.ready).toBe(false);
    expect(failing(result)).toEqual(["old:generation", "key:key-fingerprint", "down:reachable", "broken:intact"]);
  });

  it("fails the token check inside the margin", () => {
    expect(failing(assessFailoverReadiness(primary, [probe()], { minTtlMs: 31 * 60_000, now }))).toEqual([
      "r1:token-ttl",
    ]);
  });

  it("checks the replica's own recipient when the inventory names one, else the primary's set", () => {
    expect(
      failing(assessFailoverReadiness(primary, [probe({ recipient: OTHER_RECIPIENT })], { minTtlMs: 0, now })),
    ).toEqual(["r1:recipients"]);
    expect(
      assessFailoverReadiness(
        primary,
        [probe({ recipient: OTHER_RECIPIENT, recipients: [TEST_RECIPIENT, OTHER_RECIPIENT] })],
        { minTtlMs: 0, now },
      ).ready,
    ).toBe(true);
    expect(
      failing(assessFailoverReadiness(primary, [probe({ recipients: [OTHER_RECIPIENT] })], { minTtlMs: 0, now })),
    ).toEqual(["r1:recipients"]);
  });

  it("is not ready without any replica", () => {
    expect(assessFailoverReadiness(primary, [], { minTtlMs: 0, now })).toEqual({ ready: false, replicas: [] });
  });
});
