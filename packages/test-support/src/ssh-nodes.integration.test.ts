import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { hostKeyFingerprints, startSshNodes } from "./ssh-nodes.js";

describe("startSshNodes", () => {
  it("starts trusted-key sshd nodes on 127.0.0.1 that can be paused, and removes everything on dispose", async () => {
    let dir = "";
    {
      await using topology = await startSshNodes([{ name: "n1", role: "replica" }]);
      dir = topology.dir;
      const [node] = topology.nodes;
      expect(node?.spec()).toMatchObject({
        name: "n1",
        host: "127.0.0.1",
        role: "replica",
        transport: "ssh",
        user: "admin",
      });
      expect(await node?.exec("id -un")).toContain("admin");
      expect((await hostKeyFingerprints(node?.port ?? 0)).length).toBeGreaterThan(0);
      expect(await node?.pause()).toBeGreaterThanOrEqual(1);
      await node?.unpause();
      expect(existsSync(topology.identityFile)).toBe(true);
    }
    expect(existsSync(dir)).toBe(false);
  });
});
