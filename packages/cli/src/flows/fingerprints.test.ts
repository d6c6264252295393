import { deriveResidueFingerprints } from "@connect-ops/connection-core";
import { CredentialVault, initStateDir, loadStateDir, sealAppKey } from "@connect-ops/credential-vault";
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { testdirSync } from "@connect-ops/test-support";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { exitCodeFor } from "../errors.js";
import { loadResidueFingerprints, type FingerprintSources } from "./fingerprints.js";

const scratchDir = testdirSync({ prefix: "cli-fingerprints-" });
const scratch = scratchDir.path;
afterAll(() => scratchDir[Symbol.dispose]());
let counter = 0;
const fresh = (name: string) => join(scratch, `${name}-${counter++}`);

const pem = () =>
  generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs1", format: "pem" }).toString();
const setOf = (appId: number) =>
  deriveResidueFingerprints({ appId, privateKeyPem: pem(), tokens: [], saltBytes: randomBytes(16) });

/** The sources a scan passes: a state dir, and the working dir `--fingerprints FILE` is resolved against. */
function sourcesFor(stateDir: string): FingerprintSources {
  return { stateDir, cwd: scratch };
}

function writeJson(value: unknown): string {
  const path = join(fresh("file"), "fingerprints.json");
  mkdirSync(join(path, ".."), { recursive: true });
  writeFileSync(path, JSON.stringify(value));
  return path;
}

describe("loadResidueFingerprints", () => {
  it("reads the connected vault's residue from meta.json", async () => {
    const stateDir = fresh("state");
    await initStateDir(stateDir);
    const state = await loadStateDir(stateDir);
    const vault = new CredentialVault(join(stateDir, "vault"));
    const meta = await sealAppKey(vault, [state.recipient], {
      cloudUrl: "http://127.0.0.1:9",
      app: { appId: 42, slug: "acme", clientId: "Iv1.x", privateKeyPem: pem() },
      saltBytes: randomBytes(16),
    });
    expect(await loadResidueFingerprints({ stateDir: stateDir })).toEqual([meta.residue]);
  });

  it("keeps working after a disconnect, from the journal's fingerprints", async () => {
    const stateDir = fresh("state");
    await initStateDir(stateDir);
    const sets = [setOf(1), setOf(2)];
    mkdirSync(join(stateDir, "journal"), { recursive: true, mode: 0o700 });
    writeFileSync(join(stateDir, "journal", "disconnect.json"), JSON.stringify({ step: "done", fingerprints: sets }));
    expect(await loadResidueFingerprints({ stateDir: stateDir })).toEqual(sets);
  });

  it("accepts --fingerprints as an array, one set, a copied meta.json or disconnect.json, and merges by id", async () => {
    const [one, two] = [setOf(1), setOf(2)];
    const sources = sourcesFor(fresh("absent"));
    expect(await loadResidueFingerprints({ ...sources, fingerprintsFile: writeJson([one, two]) })).toEqual([one, two]);
    expect(await loadResidueFingerprints({ ...sources, fingerprintsFile: writeJson(one) })).toEqual([one]);
    expect(
      await loadResidueFingerprints({
        ...sources,
        fingerprintsFile: writeJson({ format: "connect-ops/vault-meta@1", residue: two }),
      }),
    ).toEqual([two]);
    expect(
      await loadResidueFingerprints({ ...sources, fingerprintsFile: writeJson({ fingerprints: [one, one] }) }),
    ).toEqual([one]);
  });

  it("says how to get fingerprints when there are none, and rejects a malformed file (exit 2)", async () => {
    const sources = sourcesFor(fresh("absent"));
    const none = await loadResidueFingerprints(sources).catch((error: unknown) => error);
    expect(exitCodeFor(none)).toBe(2);
    expect((none as Error).message).toContain("no credential fingerprints");
    expect((none as { hint: string }).hint).toContain("--fingerprints FILE");
    const bad = await loadResidueFingerprints({ ...sources, fingerprintsFile: writeJson({ id: "nope" }) }).catch(
      (error: unknown) => error,
    );
    expect(exitCodeFor(bad)).toBe(2);
    const missing = await loadResidueFingerprints({
      ...sources,
      fingerprintsFile: join(scratch, "missing.json"),
    }).catch((error: unknown) => error);
    expect(exitCodeFor(missing)).toBe(2);
  });
});
