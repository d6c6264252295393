import { startGitHubSim, type GitHubSim } from "@connect-ops/github-sim";
import { connectedAppliance, snapshotCli, testdirSync, type Appliance } from "@connect-ops/test-support";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { lstatSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

let sim: GitHubSim;
let cli: Awaited<ReturnType<typeof snapshotCli>>;
const scratch = testdirSync({ prefix: "e2e-rekey-" });
const connectOps = (argv: readonly string[], env: Record<string, string | undefined> = {}) => cli.run(argv, env);
let app: Appliance;
let recovery = "";
let recoveryIdentity = "";

beforeAll(async () => {
  cli = await snapshotCli({ testHooks: true });
  sim = await startGitHubSim();
  app = await connectedAppliance({ cloud: sim, dir: join(scratch.path, "a"), connectOps });
  recoveryIdentity = join(scratch.path, "recovery.txt");
  execFileSync("age-keygen", ["-o", recoveryIdentity], { stdio: "ignore" });
  recovery = /# public key: (age1[0-9a-z]+)/.exec(readFileSync(recoveryIdentity, "utf8"))?.[1] ?? "";
});
afterAll(async () => {
  await sim.close();
  cli[Symbol.dispose]();
  scratch[Symbol.dispose]();
});

/** Every file under `dir` with its content hash: what "nothing changed" compares. */
function treeDigest(dir: string): Record<string, string> {
  const digest: Record<string, string> = {};
  for (const name of readdirSync(dir, { recursive: true, encoding: "utf8" })) {
    const path = join(dir, name);
    digest[name] = lstatSync(path).isFile() ? createHash("sha256").update(readFileSync(path)).digest("hex") : "dir";
  }
  return digest;
}

const meta = (): { recipients: string[]; generation: number } =>
  JSON.parse(readFileSync(join(app.stateDir, "vault", "meta.json"), "utf8")) as {
    recipients: string[];
    generation: number;
  };

describe("rekey: recipients", () => {
  const secretLike = `AGE-SECRET-KEY-1${"Q".repeat(58)}`;
  it.each([
    ["not bech32", ["--add-recipient", "age1notarecipient"]],
    ["a bad checksum", ["--add-recipient", "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8q"]],
    ["an identity given as a recipient", ["--add-recipient", secretLike]],
    [
      "a removal of a recipient never sealed to",
      ["--remove-recipient", "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p"],
    ],
    ["no change asked for", []],
  ])("refuses %s: exit 2, a coded error, nothing changed", async (_what, flags) => {
    const before = treeDigest(app.dir);
    const run = await connectOps(["rekey", "--inventory", app.inventory, ...flags], app.env);
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toMatch(/error\[[A-Z_]+\]/);
    expect(run.stderr + run.stdout).not.toContain(secretLike);
    expect(treeDigest(app.dir)).toEqual(before);
  });

  it("refuses to remove the appliance's own recipient (use --new-identity)", async () => {
    const own = /# public key: (age1[0-9a-z]+)/.exec(readFileSync(join(app.stateDir, "age-identity.txt"), "utf8"))?.[1];
    const run = await connectOps(["rekey", "--remove-recipient", own ?? "", "--inventory", app.inventory], app.env);
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toContain("--new-identity");
  });

  it("adds then removes a recovery recipient: the vault and every node follow, the recovery identity opens it meanwhile", async () => {
    const added = await connectOps(["rekey", "--add-recipient", recovery, "--inventory", app.inventory], app.env);
    expect(added.code, added.stderr).toBe(0);
    expect(meta().recipients).toContain(recovery);
    const vault = join(app.stateDir, "vault", "credentials.age");
    execFileSync("age", ["-d", "-i", recoveryIdentity, "-o", "/dev/null", vault]);
    const nodeCopy = join(app.nodeDirs["replica-1"] ?? "", "credentials.age");
    expect(readdirSync(app.nodeDirs["replica-1"] ?? "", { recursive: true, encoding: "utf8" })).toContain(
      "credentials.age",
    );
    expect(readFileSync(nodeCopy)).toEqual(readFileSync(vault));
    const removed = await connectOps(["rekey", "--remove-recipient", recovery, "--inventory", app.inventory], app.env);
    expect(removed.code, removed.stderr).toBe(0);
    expect(meta().recipients).not.toContain(recovery);
    expect(readFileSync(nodeCopy)).toEqual(readFileSync(vault));
  });

  it("names the difference from rotate-key in its help", async () => {
    const help = await connectOps(["rekey", "--help"]);
    expect(help.stdout).toContain("rotate-key changes the App's private key");
    expect(help.stdout).toContain("updatekeys");
  });
});
