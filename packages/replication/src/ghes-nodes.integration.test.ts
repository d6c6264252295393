import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NodeContainer, SshFixture, startNodeNetwork, SuiteResources } from "@connect-ops/test-support";
import type { NodeSpec } from "./inventory.js";
import { replicateToNodes, type NodeResult } from "./replicate.js";
import { shellQuote } from "./shell-quote.js";
import { createTransportOpener } from "./transport-opener.js";
import { describeIdentityContract } from "./test-support/identity-contract.js";
import { describeIdentityDestroyContract } from "./test-support/identity-destroy-contract.js";
import { describeLockContract, type LockContractNode } from "./test-support/lock-contract.js";
import { makePayload } from "./test-support/payloads.js";
import { describeTransportContract } from "./test-support/transport-contract.js";

// Nodes set up like GHES: sshd on 122, admin with passwordless sudo, /data/user/common
// owned by root. The cluster nodes sit on a Docker network with the "primary"
// only (no published port): the tests reach them through the primary, whose
// 122 is published on 127.0.0.1, as backup-utils does.
const suite = new SuiteResources();
let ssh: SshFixture;
let primary: NodeContainer;
let cluster: NodeContainer[];
let askingSudo: NodeContainer;
let counter = 0;
const run = promisify(execFile);
const TARGET = "/data/user/common/github-connect";

const sshOptions = () => ({ identityFile: ssh.identityFile, knownHostsFile: ssh.knownHostsFile });
const jumpHost = () => ({ name: primary.name, host: "127.0.0.1", port: primary.port, user: "admin" });
const behindPrimary = (node: NodeContainer, path = TARGET): NodeSpec => ({
  ...node.spec(path),
  sudo: true,
  jumpHost: jumpHost(),
});
/** sshd's "Accepted publickey" lines so far: one per SSH connection to the node. */
async function acceptedLogins(node: NodeContainer): Promise<number> {
  const { stdout, stderr } = await run("docker", ["logs", node.id]);
  return (stdout + stderr).match(/Accepted publickey/g)?.length ?? 0;
}

beforeAll(async () => {
  ssh = suite.hold(await SshFixture.create());
  const network = suite.hold(await startNodeNetwork());
  const ghes = { sudo: "nopasswd" as const, network };
  primary = suite.hold(await NodeContainer.start("ghes-primary", "cluster", ssh.publicKey, ghes));
  cluster = [];
  for (const name of ["ghes-cluster-1", "ghes-cluster-2"]) {
    cluster.push(suite.hold(await NodeContainer.start(name, "cluster", ssh.publicKey, { ...ghes, publish: false })));
  }
  askingSudo = suite.hold(
    await NodeContainer.start("ghes-asks-password", "replica", ssh.publicKey, { sudo: "password" }),
  );
  await ssh.trust(primary, ...cluster, askingSudo);
}, 300_000);

afterAll(() => suite[Symbol.asyncDispose](), 120_000);

async function createJumpNode(dirName: string): Promise<LockContractNode> {
  const node = cluster[0] as NodeContainer;
  const path = `/data/user/common/t${++counter} ${dirName}`;
  const spec = behindPrimary(node, path);
  const quoted = shellQuote(path);
  const open = await createTransportOpener([spec], sshOptions());
  const openLocked = async (holder: string, waitMs: number) =>
    (await createTransportOpener([spec], { ...sshOptions(), lockHolder: holder, lockWaitMs: waitMs }))(
      spec,
      10_000,
      new AbortController().signal,
    );
  return {
    open: () => open(spec, 10_000, new AbortController().signal),
    openLocked,
    list: async () => {
      const output = await node.exec(
        `d=${quoted}; [ -d "$d" ] || { echo missing; exit 0; }; for f in "$d"/* "$d"/.[!.]*; do [ -e "$f" ] && printf '%s %s\\n' "\${f##*/}" "$(stat -c %a "$f")"; done; true`,
        "root",
      );
      if (output.trim() === "missing") return undefined;
      return output
        .split("\n")
        .filter(Boolean)
        .map((line) => {
          const cut = line.lastIndexOf(" ");
          return { name: line.slice(0, cut), mode: Number.parseInt(line.slice(cut + 1), 8) };
        })
        .sort((a, b) => a.name.localeCompare(b.name));
    },
    sh: async (script) => {
      await node.exec(`D=${quoted}; ${script}`, "root");
    },
    dirMode: async () => {
      const output = (await node.exec(`stat -c %a ${quoted} 2>/dev/null || true`, "root")).trim();
      return output === "" ? undefined : Number.parseInt(output, 8);
    },
    [Symbol.asyncDispose]: async () => {
      await node.exec(`rm -rf ${quoted}`, "root");
    },
  };
}

describeTransportContract("ssh through a jump host, with sudo", createJumpNode);
describeIdentityContract("ssh through a jump host, with sudo", createJumpNode);
describeIdentityDestroyContract("ssh through a jump host, with sudo", createJumpNode);
describeLockContract("ssh through a jump host, with sudo", createJumpNode);

const statuses = (results: NodeResult[]) => Object.fromEntries(results.map((result) => [result.name, result.status]));

describe("GHES nodes", () => {
  it("the cluster nodes are not reachable from the host, only through the primary", () => {
    expect(cluster.every((node) => !node.published)).toBe(true);
    expect(primary.published).toBe(true);
  });

  it("replicates to the primary directly and to the cluster nodes through it with sudo: root-owned 0600 files, one jump connection", async () => {
    const before = await acceptedLogins(primary);
    const specs = [{ ...primary.spec(), sudo: true }, ...cluster.map((node) => behindPrimary(node))];
    const payload = makePayload(3);
    expect(statuses(await replicateToNodes(specs, payload, { ssh: sshOptions() }))).toEqual({
      "ghes-primary": "updated",
      "ghes-cluster-1": "updated",
      "ghes-cluster-2": "updated",
    });
    // One login for the primary's own copy, one shared by both cluster nodes behind it.
    expect((await acceptedLogins(primary)) - before).toBe(2);
    for (const node of [primary, ...cluster]) {
      expect((await node.exec(`stat -c '%U %a' ${TARGET}/credentials.age ${TARGET}/meta.json`, "root")).trim()).toBe(
        "root 600\nroot 600",
      );
      expect((await node.exec(`sha256sum < ${TARGET}/meta.json`, "root")).split(" ")[0]).toBe(payload.metaSha256);
    }
  });

  it("a node whose sudo wants a password fails REPL_SUDO_PASSWORD_REQUIRED with a hint; nothing is written there", async () => {
    const [result] = await replicateToNodes([{ ...askingSudo.spec(), sudo: true }], makePayload(4), {
      ssh: sshOptions(),
    });
    expect(result?.status).toBe("failed");
    expect(result?.error?.code).toBe("REPL_SUDO_PASSWORD_REQUIRED");
    expect(result?.error?.message).toContain("nothing was written");
    expect((await askingSudo.exec("ls -A /data/user/common", "root")).trim()).toBe("");
  });

  it("two replicate runs from two primaries at once: every node ends with one complete generation, never a mix", async () => {
    const specs = [{ ...primary.spec(), sudo: true }, ...cluster.map((node) => behindPrimary(node))];
    for (let round = 0; round < 3; round++) {
      const generation = 10 + round;
      const ours = makePayload(generation);
      const theirs = makePayload(generation, Buffer.from(`the other primary's vault, round ${round}`));
      const [a, b] = await Promise.all([
        replicateToNodes(specs, ours, { ssh: { ...sshOptions(), lockHolder: "primary-a pid 1" } }),
        replicateToNodes(specs, theirs, { ssh: { ...sshOptions(), lockHolder: "primary-b pid 2" } }),
      ]);
      for (const node of [primary, ...cluster]) {
        const sealed = (await node.exec(`sha256sum < ${TARGET}/credentials.age`, "root")).split(" ")[0];
        const meta = JSON.parse(await node.exec(`cat ${TARGET}/meta.json`, "root")) as { sealedSha256: string };
        expect(meta.sealedSha256).toBe(sealed);
        expect([ours.sealedSha256, theirs.sealedSha256]).toContain(sealed);
        expect((await node.exec(`ls -A ${TARGET}`, "root")).trim().split("\n").sort()).toEqual([
          "credentials.age",
          "meta.json",
        ]);
      }
      // Per node exactly one of the two runs wrote; the other saw the same generation with other bytes.
      for (const name of Object.keys(statuses(a))) {
        expect([statuses(a)[name], statuses(b)[name]].filter((status) => status === "updated")).toHaveLength(1);
      }
    }
  });
});
