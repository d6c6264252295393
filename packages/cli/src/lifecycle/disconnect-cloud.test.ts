import { CoreError, type CloudClient } from "@connect-ops/connection-core";
import { describe, expect, it } from "vitest";
import { runCloudStep, type CloudStepPorts } from "./disconnect-cloud.js";
import type { CloudSteps } from "./disconnect-journal.js";

const subject = { cloudUrl: "http://127.0.0.1:1", appId: 7, appSlug: "ghes-app", installationId: 9, recordId: 3 };
const secrets = { app: { appId: 7, privateKeyPem: "unused by the fake", slug: "ghes-app" }, token: "ghs_fake" };

/** A fake cloud that remembers what was deleted, answering like GitHub does afterwards. */
function fakeCloud() {
  const calls: string[] = [];
  const gone = new Set<string>();
  const jwtRefused = () => new CoreError("CLOUD_UNAUTHORIZED", "JWT refused", { category: "input" });
  /** Deletes `what` once: the first call says `first`, later ones `again`. */
  const deleteOnce = (what: string, first: string, again: string) => {
    if (gone.has(what)) return again;
    gone.add(what);
    return first;
  };
  const client = {
    revokeToken: () => {
      calls.push("revoke");
      return Promise.resolve(deleteOnce("token", "revoked", "already-invalid"));
    },
    deleteInstallation: () => {
      calls.push("installation");
      return Promise.resolve(gone.has("app") ? "already-gone" : deleteOnce("installation", "deleted", "already-gone"));
    },
    deleteConnectionRecord: (_id: number, app?: unknown) => {
      calls.push(app === undefined ? "record-as-admin" : "record");
      if (app !== undefined && gone.has("app")) return Promise.reject(jwtRefused());
      if (gone.has("record")) return Promise.resolve("already-gone");
      gone.add("record");
      gone.add("app");
      return Promise.resolve("deleted");
    },
    deleteApp: () => {
      calls.push("app");
      return Promise.resolve(deleteOnce("app", "deleted", "already-gone"));
    },
    appExists: () => Promise.resolve(!gone.has("app")),
    checkToken: () => Promise.resolve(gone.has("token") || gone.has("app") ? "refused" : "valid"),
  } as unknown as CloudClient;
  return { client, calls, gone };
}

function ports(client: CloudClient, saved: CloudSteps[], crashAt?: string, hasAdminToken = false): CloudStepPorts {
  return {
    client,
    hasAdminToken,
    now: () => Date.UTC(2026, 0, 1),
    save: (steps) => {
      saved.push(steps);
      return Promise.resolve();
    },
    crash: (point) => {
      if (point === crashAt) throw new Error(`crash at ${point}`);
    },
  };
}

describe("runCloudStep", () => {
  it("revokes, deletes installation, record and app, and records the 401 proof", async () => {
    const cloud = fakeCloud();
    const saved: CloudSteps[] = [];
    const steps = await runCloudStep(subject, secrets, {}, ports(cloud.client, saved));
    expect(steps).toMatchObject({
      tokenRevoke: { result: "revoked" },
      installation: { result: "deleted" },
      record: { result: "deleted" },
      app: { result: "already-gone" },
      revocationProof: { tokenRefused: true },
    });
    expect(steps.completedAt).toBeDefined();
  });

  it("after a crash between the record delete and its journal write, sees the record as already gone without an admin token", async () => {
    const cloud = fakeCloud();
    const saved: CloudSteps[] = [];
    await expect(
      runCloudStep(subject, secrets, {}, ports(cloud.client, saved, "disconnect:record-deleted")),
    ).rejects.toThrow(/crash/);
    const recorded = saved.at(-1) ?? {};
    expect(recorded.record).toBeUndefined();
    const steps = await runCloudStep(subject, secrets, recorded, ports(cloud.client, saved));
    expect(steps.record?.result).toBe("already-gone");
    expect(cloud.calls.filter((call) => call === "revoke")).toHaveLength(1);
    expect(cloud.calls.filter((call) => call === "installation")).toHaveLength(1);
  });

  it("asks again as the admin when the app's JWT is refused and an admin token is set", async () => {
    const cloud = fakeCloud();
    cloud.gone.add("app");
    const steps = await runCloudStep(subject, secrets, {}, ports(cloud.client, [], undefined, true));
    expect(cloud.calls).toContain("record-as-admin");
    expect(steps.record?.result).toBe("deleted");
  });

  it("does not repeat a recorded step", async () => {
    const cloud = fakeCloud();
    const at = "2026-01-01T00:00:00.000Z";
    await runCloudStep(
      subject,
      secrets,
      { tokenRevoke: { result: "revoked", at }, installation: { result: "deleted", at } },
      ports(cloud.client, []),
    );
    expect(cloud.calls).toEqual(["record", "app"]);
  });

  it("fails (incomplete) when the cloud still accepts the old token", async () => {
    const cloud = fakeCloud();
    const client = { ...cloud.client, checkToken: () => Promise.resolve("valid" as const) } as CloudClient;
    await expect(runCloudStep(subject, secrets, {}, ports(client, []))).rejects.toMatchObject({
      category: "incomplete",
    });
  });
});
