import { generateKeyPairSync } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { findLeaks, IncrementalLeakScan, scannablePlaces } from "../support/canary.js";
import { testdirSync } from "@connect-ops/test-support";

// The canary itself (issue 8, part 3): it must see each leak form, or a clean
// e2e run proves nothing.

const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 1024 });
const pem = privateKey.export({ type: "pkcs1", format: "pem" }).toString();
const token = `ghs_${"Q7".repeat(18)}`;
const known = { "App private key": pem, "installation token": token };

describe("leak canary", () => {
  it("finds a secret raw, base64-encoded, JSON-escaped, and a single PEM body line", () => {
    const pemLine = pem.split("\n")[3] ?? "";
    const hits = findLeaks(
      {
        "raw log": `minted ${token}`,
        "base64 report": Buffer.from(token).toString("base64"),
        "json report": JSON.stringify({ key: pem }),
        "one pem line": `debris ${pemLine} debris`,
        clean: "nothing to see",
      },
      known,
    );
    expect(new Set(hits.map((hit) => hit.place))).toEqual(
      new Set(["raw log", "base64 report", "json report", "one pem line"]),
    );
    expect(JSON.stringify(hits)).not.toContain(token);
  });

  it("scans plain files but not age-sealed files or planted snapshot fixtures", () => {
    using dir = testdirSync({ prefix: "reliability-canary-" });
    mkdirSync(join(dir.path, "state", "vault"), { recursive: true });
    mkdirSync(join(dir.path, "data", "20240101T000000"), { recursive: true });
    writeFileSync(join(dir.path, "state", "vault", "credentials.age"), token);
    writeFileSync(join(dir.path, "data", "20240101T000000", "planted.txt"), token);
    writeFileSync(join(dir.path, "state", "report.json"), JSON.stringify({ token }));
    const hits = findLeaks(scannablePlaces(dir.path), known);
    expect(hits.map((hit) => hit.place)).toEqual([join(dir.path, "state", "report.json")]);
  });

  it("scans a run printed before its secret was issued again once the secret is known, and each run once per secret", () => {
    const scan = new IncrementalLeakScan();
    const late = `ghs_${"L9".repeat(18)}`;
    const known = new Map([["an earlier secret", `ghs_${"E1".repeat(18)}`]]);
    const runs = [
      {
        code: 0,
        signal: null,
        stdout: `minted ${late}`,
        stderr: "",
        argv: ["token"],
        procArgv: "",
        killedByRunner: false,
        durationMs: 1,
      },
    ];
    expect(scan.scan(runs, new Map(), {}, known)).toEqual({ hits: [], placesScanned: 3 }); // `late` is nobody's secret yet
    expect(scan.scan(runs, new Map(), {}, known)).toEqual({ hits: [], placesScanned: 0 }); // nothing new: nothing rescanned
    known.set("a late secret", late);
    const { hits } = scan.scan(runs, new Map(), {}, known);
    expect(hits.map((hit) => `${hit.secret} in ${hit.place}`)).toEqual(["a late secret in run 0 (token) stdout"]);
  });
});
