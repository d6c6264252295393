import { startGitHubSim, type GitHubSim } from "@connect-ops/github-sim";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as z from "zod";
import {
  cliErrorOf,
  connectedAppliance,
  openWithAge,
  parseJsonOutput,
  spawnCli,
  SuiteResources,
  testdirSync,
  type Appliance,
  type CliRun,
} from "@connect-ops/test-support";
import { registerSecret } from "./support/canary.js";
import { auditJson } from "./support/cli-json.js";
import { expectNoLeak, runPlaces } from "./support/leaks.js";

// rotate-key (issue 17) with the built CLI against the simulator and local nodes: the new key is proven, sealed,
// mints and reaches every node and the newest snapshot; the old key is dropped only once the cloud refuses a JWT
// the test signs with it itself (openssl); a snapshot taken before the rotation still holds residue of the
// retired key after disconnect.

const suite = new SuiteResources();
const scratch = testdirSync({ prefix: "e2e-rotate-key-" });
let sim: GitHubSim;
let app: Appliance;
const runs: CliRun[] = [];
const secrets: Record<string, string> = {};

const cli = async (argv: readonly string[], env: Record<string, string> = app.env): Promise<CliRun> => {
  const run = await spawnCli(argv, env);
  runs.push(run);
  return run;
};
/** Where the test keeps key files: a `stage` dir, which the leak canary treats as planted on purpose. */
const stage = join(scratch.path, "stage");
let backupRecipient = "";
const spreadArgs = (): string[] => [
  "--inventory",
  app.inventory,
  "--data-dir",
  app.dataDir,
  "--backup-policy",
  "include",
  "--recipient",
  backupRecipient,
];

const metaShape = z.looseObject({
  generation: z.number(),
  appId: z.number(),
  keyFingerprint: z.string(),
  sealedSha256: z.string(),
  residue: z.looseObject({ id: z.string(), keyFingerprint: z.string() }),
  retiringKeyFingerprints: z.array(z.string()).optional(),
  retiredResidue: z.array(z.looseObject({ id: z.string(), keyFingerprint: z.string() })).optional(),
});
const readMeta = (dir: string) => parseJsonOutput(metaShape, readFileSync(join(dir, "meta.json"), "utf8"));
const bundleShape = z.looseObject({
  app: z.looseObject({ privateKeyPem: z.string() }),
  retiringKeys: z.array(z.looseObject({ fingerprint: z.string() })).optional(),
});
const openVault = () =>
  parseJsonOutput(
    bundleShape,
    openWithAge(join(app.stateDir, "age-identity.txt"), join(app.stateDir, "vault", "credentials.age")).toString(
      "utf8",
    ),
  );
const rotateJson = z.looseObject({
  activeFingerprint: z.string(),
  retiringFingerprint: z.string(),
  generation: z.number(),
  pendingNodes: z.array(z.string()),
  pendingStep: z.looseObject({ fingerprint: z.string(), url: z.string() }),
});
const finishJson = z.looseObject({
  completed: z.boolean(),
  removed: z.array(z.string()),
  stillAccepted: z.array(z.looseObject({ fingerprint: z.string() })),
  generation: z.number(),
});

const base64url = (bytes: Buffer | string) => Buffer.from(bytes).toString("base64url");

/** An App JWT (RS256) signed by `openssl dgst -sha256 -sign`, not by our code. */
function opensslJwt(appId: number, pemFile: string): string {
  const now = Math.floor(Date.now() / 1000);
  const signingInput = `${base64url(JSON.stringify({ alg: "RS256", typ: "JWT" }))}.${base64url(JSON.stringify({ iat: now - 60, exp: now + 540, iss: appId }))}`;
  const signature = execFileSync("openssl", ["dgst", "-sha256", "-sign", pemFile], { input: signingInput });
  return `${signingInput}.${base64url(signature)}`;
}

async function getAppStatus(appId: number, pemFile: string): Promise<number> {
  const response = await fetch(`${sim.url}/app`, {
    headers: { authorization: `Bearer ${opensslJwt(appId, pemFile)}`, accept: "application/vnd.github+json" },
  });
  await response.arrayBuffer();
  return response.status;
}

async function simApi(method: string, path: string): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${sim.url}${path}`, { method });
  const text = await response.text();
  return { status: response.status, body: text === "" ? undefined : (JSON.parse(text) as unknown) };
}

/** Every file under `dir` with its mode and digest: "byte-identical" is checked on all of it. */
function treeDigest(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (at: string, rel: string) => {
    for (const entry of readdirSync(at, { withFileTypes: true })) {
      const path = join(at, entry.name);
      const name = `${rel}/${entry.name}`;
      if (entry.isDirectory()) walk(path, name);
      else if (entry.isFile()) {
        out[name] =
          `${statSync(path).mode.toString(8)} ${createHash("sha256").update(readFileSync(path)).digest("hex")}`;
      } else out[name] = "link";
    }
  };
  walk(dir, "");
  return out;
}

let appId = 0;
let oldFingerprint = "";
let oldKeyId = 0;
let oldSetId = "";
const oldPemFile = () => join(stage, "old.pem");

beforeAll(async () => {
  sim = suite.hold(await startGitHubSim());
  app = await connectedAppliance({
    dir: join(scratch.path, "appliance"),
    cloud: sim,
    connectOps: (argv, env) => spawnCli(argv, env),
  });
  secrets["old App key"] = app.secrets.pem;
  secrets["first token"] = app.secrets.token;
  const meta = readMeta(join(app.stateDir, "vault"));
  appId = meta.appId;
  oldFingerprint = meta.keyFingerprint;
  oldSetId = meta.residue.id;
  const keys = (await simApi("GET", `/_sim/apps/${appId}/keys`)).body as { keyId: number; fingerprint: string }[];
  expect(keys.map((key) => key.fingerprint)).toEqual([oldFingerprint]);
  oldKeyId = (keys[0] as { keyId: number }).keyId;
  mkdirSync(stage);
  writeFileSync(oldPemFile(), app.secrets.pem, { mode: 0o600 });
  execFileSync("age-keygen", ["-o", join(scratch.path, "backup-identity.txt")], { stdio: "ignore" });
  backupRecipient = execFileSync("age-keygen", ["-y", join(scratch.path, "backup-identity.txt")], {
    encoding: "utf8",
  }).trim();
  // A dump in the snapshot taken before the rotation holds the old key in clear (what redaction exists for).
  mkdirSync(join(app.older, "mysql"), { recursive: true });
  writeFileSync(
    join(app.older, "mysql", "connect-settings.sql"),
    `INSERT INTO secrets VALUES ('${app.secrets.pem}');\n`,
  );
}, 120_000);

afterAll(async () => {
  await suite[Symbol.asyncDispose]();
  scratch[Symbol.dispose]();
});

describe("rotate-key (built CLI, simulator, local nodes)", () => {
  it("refuses bad input with exit 2 and leaves every file byte-identical", async () => {
    const before = treeDigest(app.dir);
    const notPem = join(stage, "not-a-key.pem");
    writeFileSync(notPem, "this is not a key\n", { mode: 0o600 });
    const other = await sim.createApp({ type: "organization", login: "other-org" });
    const otherPem = join(stage, "other-app.pem");
    writeFileSync(otherPem, other.pem, { mode: 0o600 });
    secrets["other App key"] = other.pem;
    registerSecret("another App's key", other.pem);
    const cases: [string, string[]][] = [
      ["not a PEM", ["rotate-key", "--new-key", notPem, ...spreadArgs()]],
      ["another App's key", ["rotate-key", "--new-key", otherPem, ...spreadArgs()]],
      ["the active key", ["rotate-key", "--new-key", oldPemFile(), ...spreadArgs()]],
      ["a missing file", ["rotate-key", "--new-key", join(scratch.path, "absent.pem")]],
      ["neither flag", ["rotate-key"]],
      ["nothing to finish", ["rotate-key", "--finish"]],
      ["a bad policy", ["rotate-key", "--finish", "--backup-policy", "keep"]],
    ];
    for (const [label, argv] of cases) {
      const run = await cli(["--json", ...argv]);
      expect(run.code, `${label}: ${run.stderr}`).toBe(2);
      expect(cliErrorOf(run.stdout).code, label).toMatch(/^(CLI_USAGE|CORE_KEY_INVALID)$/);
    }
    expect(treeDigest(app.dir)).toEqual(before);

    const lonely = join(scratch.path, "unconnected");
    const env = { CONNECT_OPS_STATE_DIR: join(lonely, "state") };
    expect((await cli(["init"], env)).code).toBe(0);
    const initial = treeDigest(lonely);
    const unconnected = await cli(["--json", "rotate-key", "--new-key", otherPem], env);
    expect(unconnected.code, unconnected.stderr).toBe(2);
    expect(cliErrorOf(unconnected.stdout).message).toMatch(/no GitHub Connect credentials/);
    expect(treeDigest(lonely)).toEqual(initial);
  }, 120_000);

  it("rotates: new key proven, sealed, minting, on every node and in the newest snapshot; old key retiring", async () => {
    const created = (await simApi("POST", `/_sim/apps/${appId}/keys`)).body as { pem: string; fingerprint: string };
    secrets["new App key"] = created.pem;
    registerSecret("rotated-in App key", created.pem);
    const newPem = join(stage, "new.pem");
    writeFileSync(newPem, created.pem, { mode: 0o600 });

    const rotated = await cli(["--json", "rotate-key", "--new-key", newPem, ...spreadArgs()]);
    expect(rotated.code, rotated.stderr).toBe(3); // a person's step is pending
    const outcome = parseJsonOutput(rotateJson, rotated.stdout);
    expect(outcome).toMatchObject({
      activeFingerprint: created.fingerprint,
      retiringFingerprint: oldFingerprint,
      pendingNodes: [],
      pendingStep: { fingerprint: oldFingerprint },
    });
    expect(outcome.pendingStep.url).toMatch(/\/settings\/apps\//);

    const vault = readMeta(join(app.stateDir, "vault"));
    expect(vault.keyFingerprint).toBe(created.fingerprint);
    expect(vault.retiringKeyFingerprints).toEqual([oldFingerprint]);
    expect(vault.retiredResidue?.map((set) => set.id)).toEqual([oldSetId]);
    const bundle = openVault();
    expect(bundle.app.privateKeyPem).toBe(created.pem);
    expect(bundle.retiringKeys?.map((key) => key.fingerprint)).toEqual([oldFingerprint]);
    for (const [name, nodeDir] of Object.entries(app.nodeDirs)) {
      const node = readMeta(nodeDir);
      expect([name, node.generation, node.sealedSha256]).toEqual([name, vault.generation, vault.sealedSha256]);
    }
    const manifest = JSON.parse(readFileSync(join(app.current, "github-connect", "manifest.json"), "utf8")) as {
      generation: number;
      keyFingerprint: string;
    };
    expect(manifest).toMatchObject({ generation: vault.generation, keyFingerprint: created.fingerprint });

    const status = await cli(["--json", "status", "--offline"]);
    expect(status.code, status.stderr).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({
      vault: { keyFingerprint: created.fingerprint, retiringKeyFingerprints: [oldFingerprint] },
    });
    // The new key mints (the token rotate-key sealed came from it; a forced mint works too), both keys still live.
    const minted = await cli(["--json", "token", "--force"]);
    expect(minted.code, minted.stderr).toBe(0);
    expect(await getAppStatus(appId, newPem)).toBe(200);
    expect(await getAppStatus(appId, oldPemFile())).toBe(200);
  }, 120_000);

  it("--finish keeps a key the cloud still accepts (exit 3), and drops it once a JWT signed with it gets 401", async () => {
    const early = await cli(["--json", "rotate-key", "--finish", ...spreadArgs()]);
    expect(early.code, early.stderr).toBe(3);
    expect(parseJsonOutput(finishJson, early.stdout)).toMatchObject({
      completed: false,
      removed: [],
      stillAccepted: [{ fingerprint: oldFingerprint }],
    });
    expect(openVault().retiringKeys?.map((key) => key.fingerprint)).toEqual([oldFingerprint]);

    // The person's step on the settings page, then the proof with a JWT this test signs itself.
    expect((await simApi("DELETE", `/_sim/apps/${appId}/keys/${oldKeyId}`)).status).toBe(204);
    expect(await getAppStatus(appId, oldPemFile())).toBe(401);

    const finished = await cli(["--json", "rotate-key", "--finish", ...spreadArgs()]);
    expect(finished.code, finished.stderr).toBe(0);
    expect(parseJsonOutput(finishJson, finished.stdout)).toMatchObject({ completed: true, removed: [oldFingerprint] });
    const vault = readMeta(join(app.stateDir, "vault"));
    expect(vault.retiringKeyFingerprints).toBeUndefined();
    expect(vault.retiredResidue?.map((set) => set.id)).toEqual([oldSetId]);
    expect(openVault().retiringKeys).toBeUndefined();
    for (const nodeDir of Object.values(app.nodeDirs)) expect(readMeta(nodeDir).sealedSha256).toBe(vault.sealedSha256);
    const minted = await cli(["--json", "token", "--force"]);
    expect(minted.code, minted.stderr).toBe(0);
    const again = await cli(["--json", "rotate-key", "--finish"]);
    expect(again.code, again.stderr).toBe(0); // a re-run after the finish: done, nothing removed
    expect(parseJsonOutput(finishJson, again.stdout)).toMatchObject({ completed: true, removed: [] });
  }, 120_000);

  it("a DR restore of a snapshot taken after the rotation keeps the retired key's fingerprints", async () => {
    const included = await cli(["--json", "backup", "include", app.current, "--recipient", backupRecipient]);
    expect(included.code, included.stderr).toBe(0);
    const replacement = { ...app.env, CONNECT_OPS_STATE_DIR: join(scratch.path, "replacement-state") };
    const run = async (argv: string[]) => {
      const result = await spawnCli(argv, replacement);
      runs.push(result);
      return result;
    };
    expect((await run(["init"])).code).toBe(0);
    const restored = await run([
      "--json",
      "backup",
      "restore",
      app.current,
      "--identity",
      join(scratch.path, "backup-identity.txt"),
      "--hostname",
      "ghes.example.com",
    ]);
    expect(restored.code, restored.stderr).toBe(0);
    const meta = readMeta(join(replacement.CONNECT_OPS_STATE_DIR, "vault"));
    expect(meta.retiredResidue?.map((set) => set.id)).toEqual([oldSetId]);
    // The snapshot from before the rotation (the old key in a dump) is still residue for the restored appliance.
    const scan = await run(["--json", "backup", "scan", app.older]);
    expect(scan.code, scan.stderr).toBe(1);
    expect(scan.stdout).toContain(oldSetId);
  }, 120_000);

  it("after disconnect, the snapshot taken before the rotation still scans as residue of the retired key", async () => {
    const down = await cli(["--json", "disconnect", "--inventory", app.inventory, "--data-dir", app.dataDir, "--yes"]);
    expect(down.code, down.stderr).toBe(0);
    const scan = await cli(["--json", "backup", "scan", app.older]);
    expect(scan.code, scan.stderr).toBe(1);
    expect(scan.stdout).toContain(oldSetId);
    const audit = await cli(["--json", "verify-cleanup", "--inventory", app.inventory, "--data-dir", app.dataDir]);
    expect(audit.code, audit.stderr).toBe(1);
    const audited = parseJsonOutput(auditJson, audit.stdout);
    expect(audited.verdict).toBe("residue");
    expect(audited.findings.some((finding) => finding.path.endsWith("connect-settings.sql"))).toBe(true);
    expect(JSON.stringify(audited.findings)).toContain(oldSetId);
    expectNoLeak(runPlaces(runs), secrets);
  }, 120_000);
});
