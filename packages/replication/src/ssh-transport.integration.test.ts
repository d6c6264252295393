import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pushToNode } from "./push-to-node.js";
import { makePayload } from "./test-support/payloads.js";
import { shellQuote } from "./shell-quote.js";
import { createTransportOpener } from "./transport-opener.js";
import { NodeContainer, SshFixture, SuiteResources } from "@connect-ops/test-support";
import { describeIdentityContract } from "./test-support/identity-contract.js";
import { describeIdentityDestroyContract } from "./test-support/identity-destroy-contract.js";
import { describeTransportContract, type ContractNode } from "./test-support/transport-contract.js";

// The same contract as the local driver, over real OpenSSH in a container.
const suite = new SuiteResources();
let ssh: SshFixture;
let container: NodeContainer;
let counter = 0;

beforeAll(async () => {
  ssh = suite.hold(await SshFixture.create());
  container = suite.hold(await NodeContainer.start("contract", "replica", ssh.publicKey));
  await ssh.trust(container);
}, 180_000);

afterAll(() => suite[Symbol.asyncDispose]());

async function createSshNode(dirName: string): Promise<ContractNode> {
  const path = `/data/user/common/t${++counter} ${dirName}`;
  const spec = container.spec(path);
  const open = await createTransportOpener([spec], {
    identityFile: ssh.identityFile,
    knownHostsFile: ssh.knownHostsFile,
  });
  const quoted = shellQuote(path);
  return {
    open: () => open(spec, 10_000, new AbortController().signal),
    list: async () => {
      const output = await container.exec(
        `d=${quoted}; [ -d "$d" ] || { echo missing; exit 0; }; for f in "$d"/* "$d"/.[!.]*; do [ -e "$f" ] && printf '%s %s\\n' "\${f##*/}" "$(stat -c %a "$f")"; done; true`,
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
      await container.exec(`D=${quoted}; ${script}`);
    },
    dirMode: async () => {
      const output = (await container.exec(`stat -c %a ${quoted} 2>/dev/null || true`)).trim();
      return output === "" ? undefined : Number.parseInt(output, 8);
    },
    [Symbol.asyncDispose]: async () => {
      await container.exec(`rm -rf ${quoted}`);
    },
  };
}

describeTransportContract("ssh", createSshNode);
describeIdentityContract("ssh", createSshNode);
describeIdentityDestroyContract("ssh", createSshNode);

describe("ssh push against a node that floods its output", () => {
  it("a meta.json past the output bound ends the push with REPL_REMOTE_OUTPUT_INVALID, not a wait; nothing written", async () => {
    await using node = await createSshNode("flood");
    await node.sh(`mkdir -p "$D" && head -c 3000000 /dev/zero | tr '\\0' x > "$D/meta.json"`);
    await using transport = await node.open();
    await expect(pushToNode(transport, makePayload(1), "n1")).rejects.toMatchObject({
      code: "REPL_REMOTE_OUTPUT_INVALID",
    });
    expect((await node.list())?.map((entry) => entry.name)).toEqual(["meta.json"]);
  });
});
