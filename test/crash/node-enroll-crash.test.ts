import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import * as z from "zod";
import { applianceAt, copyTree, parseJsonOutput } from "@connect-ops/test-support";
import { checkForLeaks } from "../support/canary.js";
import { reliabilitySeed, seededRandom } from "../support/reliability-table.js";
import { connectedBenchSuite, type ConnectedBench } from "./fixtures.js";
import { CrashTally, crashIterations, runCli, runLanes, tempFilesUnder } from "./harness.js";

// SIGKILL of `node enroll` (issue 15 item 1) at each of its steps and at random instants, on a connected appliance
// with one local replica; then the same command again converges: the node holds its identity file with the hash
// the state dir records, the vault is sealed to that node's recipient, and after `replicate` the replica is READY
// (`failover-check`); no identity but the appliance's own anywhere in the state dir, no temp left.
// (Moved here from test/node-enroll-crash.test.ts, which killed once per checkpoint.)

const seed = reliabilitySeed();
const LANES = 2;
const POINTS = ["enroll-identity-written", "enroll-recorded"];
const NODE = "replica-1";
let bench: ConnectedBench;
const scratch = connectedBenchSuite("reliability-crash-enroll-", (made) => (bench = made), undefined, {
  nodes: [NODE],
  testHooks: true,
});

const enrolledShape = z.looseObject({
  nodes: z.array(z.looseObject({ name: z.string(), recipient: z.string(), identitySha256: z.string() })),
});
const metaShape = z.looseObject({ recipients: z.array(z.string()) });
const readyShape = z.looseObject({
  ready: z.boolean(),
  replicas: z.array(z.looseObject({ name: z.string(), ready: z.boolean() })),
});

/** Every file under `dir` that holds an age identity (AGE-SECRET-KEY-…) other than `own`. */
function identitiesUnder(dir: string, own: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name))
    .filter((path) => path !== own && readFileSync(path, "latin1").includes("AGE-SECRET-KEY-"));
}

describe("crash harness: node enroll", () => {
  it("node enroll killed at each step and at random instants: the node holds the recorded identity, the vault is sealed to it, READY; no identity in the state dir", async () => {
    const iterations = crashIterations(200);
    const random = seededRandom(seed ^ 0x656e);
    const tally = new CrashTally();
    const enrollArgv = (inventory: string) => ["--json", "node", "enroll", "--inventory", inventory, "--node", NODE];
    // A plain run, measured: random kills land within it.
    const warm = applianceAt(join(scratch.path, "warm-up"), bench.sim.createAdminToken(), [NODE]);
    copyTree(bench.template, warm.dir);
    const plain = await runCli(bench.cli.bin, enrollArgv(warm.inventory), warm.env);
    expect(plain.code, plain.stderr).toBe(0);
    const span = plain.durationMs * 1.2;
    rmSync(warm.dir, { recursive: true, force: true });
    try {
      await runLanes(iterations, LANES, async (iteration) => {
        const at = applianceAt(join(scratch.path, `enroll-${iteration}`), bench.sim.createAdminToken(), [NODE]);
        copyTree(bench.template, at.dir);
        const argv = enrollArgv(at.inventory);
        const point = iteration < POINTS.length * 4 ? POINTS[iteration % POINTS.length] : undefined;
        const kill = await runCli(
          bench.cli.bin,
          argv,
          { ...at.env, ...(point === undefined ? {} : { CONNECT_OPS_FAULT_CRASH_AT: point }) },
          point === undefined ? random() * span : undefined,
        );
        await tally.check(iteration, seed, kill, async () => {
          const own = join(at.stateDir, "age-identity.txt");
          expect(identitiesUnder(at.stateDir, own), "no node identity in the state dir after the kill").toEqual([]);
          const rerun = await runCli(bench.cli.bin, argv, at.env);
          expect(rerun.code, rerun.stderr).toBe(0);
          const enrolled = parseJsonOutput(
            enrolledShape,
            readFileSync(join(at.stateDir, "enrolled-nodes.json"), "utf8"),
          ).nodes.filter((node) => node.name === NODE);
          expect(enrolled, "one enrollment of the node").toHaveLength(1);
          const record = enrolled[0] as { recipient: string; identitySha256: string };
          const nodeDir = at.nodeDirs[NODE] as string;
          const onNode = identitiesUnder(nodeDir, "");
          expect(
            onNode.map((path) => path.slice(nodeDir.length + 1)),
            "one identity file on the node",
          ).toEqual(["node-identity.txt"]);
          const bytes = readFileSync(onNode[0] as string);
          expect(createHash("sha256").update(bytes).digest("hex"), "the node's identity has the recorded hash").toBe(
            record.identitySha256,
          );
          const meta = parseJsonOutput(metaShape, readFileSync(join(at.stateDir, "vault", "meta.json"), "utf8"));
          expect(meta.recipients, "the vault is sealed to the node's recipient").toContain(record.recipient);
          const replicate = await runCli(bench.cli.bin, ["replicate", "--inventory", at.inventory], at.env);
          expect(replicate.code, replicate.stderr).toBe(0);
          const check = await runCli(bench.cli.bin, ["--json", "failover-check", "--inventory", at.inventory], at.env);
          expect(check.code, check.stdout + check.stderr).toBe(0);
          expect(parseJsonOutput(readyShape, check.stdout)).toMatchObject({
            ready: true,
            replicas: [{ name: NODE, ready: true }],
          });
          expect(identitiesUnder(at.stateDir, own), "no node identity in the state dir").toEqual([]);
          const secretLine = bytes
            .toString("utf8")
            .split("\n")
            .find((line) => line.startsWith("AGE-SECRET-KEY-")) as string;
          expect(secretLine).toBeDefined();
          for (const path of readdirSync(at.stateDir, { recursive: true, withFileTypes: true })
            .filter((entry) => entry.isFile())
            .map((entry) => join(entry.parentPath, entry.name))) {
            expect(readFileSync(path, "latin1").includes(secretLine), `${path} holds the node's identity`).toBe(false);
          }
          expect(tempFilesUnder(at.dir)).toEqual([]);
          checkForLeaks([at.stateDir]);
        });
        rmSync(at.dir, { recursive: true, force: true });
      });
    } finally {
      tally.record(
        "node enroll",
        [
          "the node holds one identity file with the recorded SHA-256",
          "the vault is sealed to the node's recipient",
          "after replicate the replica is READY (failover-check)",
          "no node identity in the state dir, no temp file left",
        ],
        seed,
      );
    }
  }, 1_800_000);
});
