import type { ResidueFingerprints } from "@connect-ops/connection-core";
import type { NodeSpec } from "@connect-ops/replication";
import { describe, expect, it } from "vitest";
import { mergeFingerprints } from "./disconnect-journal.js";
import { mergeNodes } from "./disconnect-nodes.js";

const set = (id: string, tokens: string[] = []): ResidueFingerprints => ({
  id,
  salt: "c2FsdHNhbHRzYWx0c2FsdA==",
  appId: 1,
  keyFingerprint: "SHA256:x",
  pemLineHashes: [],
  tokenHashes: tokens,
});
const node = (name: string): NodeSpec => ({
  name,
  host: "localhost",
  port: 122,
  user: "admin",
  role: "cluster",
  path: `/n/${name}`,
  transport: "local",
});

describe("mergeFingerprints", () => {
  it("keeps every set once, the first seen winning", () => {
    const merged = mergeFingerprints(
      [set("fp-000000000002", ["a".repeat(32)])],
      [set("fp-000000000001"), set("fp-000000000002")],
    );
    expect(merged.map((entry) => entry.id)).toEqual(["fp-000000000002", "fp-000000000001"]);
    expect(merged[0]?.tokenHashes).toHaveLength(1);
  });
});

describe("mergeNodes", () => {
  it("adds new inventory nodes as pending and never forgets a recorded one", () => {
    const recorded = [
      {
        name: "old",
        role: "replica",
        transport: "local",
        host: "localhost",
        path: "/n/old",
        status: "deleted" as const,
        attempts: 1,
      },
    ];
    const merged = mergeNodes(recorded, [node("new")]);
    expect(merged.map((entry) => [entry.name, entry.status])).toEqual([
      ["old", "deleted"],
      ["new", "pending"],
    ]);
  });
});
