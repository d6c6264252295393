import type { NodeProbe } from "@connect-ops/replication";
import { describe, expect, it } from "vitest";
import { localRows, type DoctorLocalPorts } from "./doctor-local.js";
import { nodeRows } from "./doctor-nodes.js";

const local = (overrides: Partial<DoctorLocalPorts>): DoctorLocalPorts => ({
  nodeVersion: "20.11.1",
  stateDir: "/nonexistent/connect-ops-doctor",
  uid: undefined,
  configPath: "/nonexistent/connect-ops-doctor/config.json",
  readConfig: () => Promise.resolve({}),
  parseIdentity: () => Promise.resolve(1),
  readMeta: () => Promise.resolve(undefined),
  ...overrides,
});

const probe = (overrides: Partial<NodeProbe>): NodeProbe => ({
  name: "replica-1",
  role: "replica",
  status: "absent",
  generation: null,
  keyFingerprint: null,
  tokenExpiresAt: null,
  recipients: [],
  sealedSha256: null,
  metaSha256: null,
  consistent: false,
  tempFiles: 0,
  drift: "unknown",
  durationMs: 1,
  ...overrides,
});

describe("doctor's local rows", () => {
  it.each([
    ["20.11.1", "pass"],
    ["22.3.0", "pass"],
    ["18.19.0", "fail"],
    ["v16.20.2", "fail"],
  ])("Node %s: %s", async (version, status) => {
    const { rows } = await localRows(local({ nodeVersion: version }));
    const row = rows.find((entry) => entry.check === "node-version");
    expect(row?.status).toBe(status);
    if (status === "fail") expect(row?.hint).toContain("Node.js 20 or later");
  });

  it("a config the reader refuses fails the config row with the reader's message and hint", async () => {
    const error = Object.assign(new Error('the config /x is invalid: unknown key "cloudUrl"'), {
      hint: "fix the file",
    });
    const { rows } = await localRows(local({ readConfig: () => Promise.reject(error) }));
    expect(rows.find((entry) => entry.check === "config")).toMatchObject({
      status: "fail",
      detail: 'the config /x is invalid: unknown key "cloudUrl"',
      hint: "fix the file",
    });
  });
});

describe("doctor's node rows", () => {
  it("a host key known_hosts does not hold fails known-hosts and skips the login", () => {
    const rows = nodeRows(
      [
        probe({
          status: "failed",
          error: { code: "REPL_HOST_KEY_UNKNOWN", message: "unknown host key", hint: "ssh-keyscan" },
        }),
      ],
      new Set(),
    );
    expect(rows.map((row) => [row.check, row.status])).toEqual([
      ["known-hosts", "fail"],
      ["ssh-login", "skip"],
      ["target-dir", "skip"],
    ]);
  });

  it("a refused login passes known-hosts (the key was checked first) and fails the login with its hint", () => {
    const rows = nodeRows(
      [probe({ status: "failed", error: { code: "REPL_AUTH_FAILED", message: "refused", hint: "--identity-file" } })],
      new Set(),
    );
    expect(rows.map((row) => [row.check, row.status, row.hint])).toEqual([
      ["known-hosts", "pass", undefined],
      ["ssh-login", "fail", "--identity-file"],
      ["target-dir", "skip", undefined],
    ]);
  });

  it("an unreachable node proves nothing about its host key: skipped, not passed", () => {
    const rows = nodeRows(
      [probe({ status: "unreachable", error: { code: "REPL_UNREACHABLE", message: "no route" } })],
      new Set(),
    );
    expect(rows.find((row) => row.check === "known-hosts")?.status).toBe("skip");
  });

  it("an unwritable target dir fails; an unknown one (no report) is a skip, never a pass", () => {
    expect(nodeRows([probe({ writable: false })], new Set()).at(-1)?.status).toBe("fail");
    expect(nodeRows([probe({})], new Set()).at(-1)?.status).toBe("skip");
    expect(nodeRows([probe({ writable: true })], new Set()).at(-1)?.status).toBe("pass");
  });
});
