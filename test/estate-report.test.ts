import { startGitHubSim, type GitHubSim } from "@connect-ops/github-sim";
import { connectedAppliance, snapshotCli, testdirSync, type Appliance } from "@connect-ops/test-support";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// Issue 19.2 with the built CLI: real verify-cleanup reports of real (disconnected or
// still connected) appliances merged by `estate report`, then checked by `verify-report`.
let sim: GitHubSim;
let cli: Awaited<ReturnType<typeof snapshotCli>>;
const scratch = testdirSync({ prefix: "e2e-estate-" }); // e2e-*: the leak canary scans it
const connectOps = (argv: readonly string[], env: Record<string, string | undefined> = {}) => cli.run(argv, env);
const names = ["prod", "staging", "dr"] as const;
const appliances = new Map<string, Appliance>();
const signingKey = join(scratch.path, "estate-signing.key");
const signingPub = join(scratch.path, "estate-signing.pub");

async function auditInto(name: string, reports: string, disconnect: boolean): Promise<void> {
  const app = appliances.get(name);
  if (app === undefined) throw new Error(`no appliance ${name}`);
  if (disconnect) {
    const run = await connectOps(
      ["disconnect", "--inventory", app.inventory, "--data-dir", app.dataDir, "--yes"],
      app.env,
    );
    expect(run.code, run.stderr).toBe(0);
  }
  const report = join(app.dir, "audit.json");
  const audit = await connectOps(
    ["verify-cleanup", "--inventory", app.inventory, "--data-dir", app.dataDir, "--report", report],
    app.env,
  );
  expect(audit.code, audit.stderr).toBe(disconnect ? 0 : 1);
  copyFileSync(report, join(reports, `${name}.json`));
  copyFileSync(`${report}.sig`, join(reports, `${name}.json.sig`));
}

function estateFile(dir: string, listed: readonly string[]): string {
  const file = join(dir, "estate.json");
  writeFileSync(
    file,
    JSON.stringify({
      estate: "acme",
      appliances: listed.map((name) => ({
        name,
        publicKeyFile: join(appliances.get(name)?.stateDir ?? "missing", "audit-signing.pub"),
      })),
    }),
  );
  return file;
}

beforeAll(async () => {
  cli = await snapshotCli();
  sim = await startGitHubSim();
  execFileSync("openssl", ["genpkey", "-algorithm", "ed25519", "-out", signingKey]);
  execFileSync("openssl", ["pkey", "-in", signingKey, "-pubout", "-out", signingPub]);
  for (const name of [...names, "lab"])
    appliances.set(
      name,
      await connectedAppliance({ cloud: sim, dir: join(scratch.path, name), connectOps, nodes: ["replica-1"] }),
    );
  mkdirSync(join(scratch.path, "reports"));
  for (const name of names) await auditInto(name, join(scratch.path, "reports"), true);
  mkdirSync(join(scratch.path, "reports-residue"));
  for (const name of names)
    copyFileSync(join(scratch.path, "reports", `${name}.json`), join(scratch.path, "reports-residue", `${name}.json`));
  for (const name of names)
    copyFileSync(
      join(scratch.path, "reports", `${name}.json.sig`),
      join(scratch.path, "reports-residue", `${name}.json.sig`),
    );
  await auditInto("lab", join(scratch.path, "reports-residue"), false);
}, 600_000);

afterAll(async () => {
  await sim.close();
  cli[Symbol.dispose]();
  scratch[Symbol.dispose]();
});

const estateReport = (estate: string, reports: string, out: string) =>
  connectOps([
    "--json",
    "estate",
    "report",
    "--estate",
    estate,
    "--reports",
    reports,
    "--out",
    out,
    "--signing-key",
    signingKey,
  ]);

describe("connect-ops estate report", () => {
  it("merges three disconnected appliances' signed reports: CLEAN, signed, and verify-report checks every embedded report", async () => {
    using dir = testdirSync({ prefix: "e2e-estate-clean-" });
    const out = join(dir.path, "estate-report.json");
    const run = await estateReport(estateFile(dir.path, names), join(scratch.path, "reports"), out);
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ verdict: "clean", gaps: [], residue: [] });
    const verified = await connectOps(["--json", "verify-report", out, "--public-key", signingPub]);
    expect(verified.code, verified.stdout).toBe(0);
    expect(JSON.parse(verified.stdout)).toMatchObject({
      result: "valid",
      estate: { valid: true, embedded: names.map((name) => ({ appliance: name, result: "valid" })) },
    });
    expect(
      execFileSync("openssl", [
        "pkeyutl",
        "-verify",
        "-pubin",
        "-inkey",
        signingPub,
        "-rawin",
        "-in",
        out,
        "-sigfile",
        `${out}.sig`,
      ]).toString(),
    ).toContain("Signature Verified Successfully");
  });

  it("--html renders the signed estate and every embedded report: one self-contained page, in real headless Chromium", async () => {
    using dir = testdirSync({ prefix: "e2e-estate-html-" });
    const out = join(dir.path, "estate-report.json");
    const html = join(dir.path, "estate-report.html");
    const run = await connectOps([
      "--json",
      "estate",
      "report",
      "--estate",
      estateFile(dir.path, names),
      "--reports",
      join(scratch.path, "reports"),
      "--out",
      out,
      "--signing-key",
      signingKey,
      "--html",
      html,
    ]);
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ verdict: "clean", htmlFile: html });
    const page = readFileSync(html, "utf8");
    const sha256 = `sha256:${createHash("sha256").update(readFileSync(out)).digest("hex")}`;
    expect(page).toContain(sha256);
    // Self-contained: nothing loads from anywhere (no script, no external src/href).
    expect(page).not.toMatch(/<script|\ssrc=|\shref=/i);
    const profile = join(dir.path, "chromium-profile");
    const chromium = (args: string[]) =>
      execFileSync(
        "chromium",
        ["--headless=new", "--no-sandbox", "--disable-gpu", `--user-data-dir=${profile}`, ...args],
        {
          timeout: 120_000,
          maxBuffer: 16 * 1024 * 1024,
          stdio: ["ignore", "pipe", "ignore"],
        },
      ).toString();
    const dom = chromium(["--dump-dom", `file://${html}`]);
    expect(dom).toMatch(/<span id="verdict" class="verdict clean">CLEAN<\/span>/);
    // Each appliance's own signed report is rendered in full, ids kept unique.
    for (const name of names) {
      expect(dom).toContain(`id="appliance-${name}"`);
      expect(dom).toMatch(new RegExp(`<span id="${name}-verdict" class="verdict clean">CLEAN</span>`));
    }
    // verify-report renders the same page from the signed estate report alone, once the signatures hold.
    const again = join(dir.path, "verified.html");
    const verified = await connectOps(["--json", "verify-report", out, "--public-key", signingPub, "--html", again]);
    expect(verified.code, verified.stdout).toBe(0);
    expect(readFileSync(again, "utf8")).toContain(sha256);
    expect(chromium(["--dump-dom", `file://${again}`])).toMatch(
      /<span id="prod-verdict" class="verdict clean">CLEAN<\/span>/,
    );
    const pdf = join(dir.path, "estate.pdf");
    chromium([`--print-to-pdf=${pdf}`, "--no-pdf-header-footer", `file://${html}`]);
    expect(readFileSync(pdf).subarray(0, 5).toString("latin1")).toBe("%PDF-");
  }, 300_000);

  it("an appliance still connected: the estate is residue (exit 1) and names it", async () => {
    using dir = testdirSync({ prefix: "e2e-estate-residue-" });
    const run = await estateReport(
      estateFile(dir.path, [...names, "lab"]),
      join(scratch.path, "reports-residue"),
      join(dir.path, "estate-report.json"),
    );
    expect(run.code, run.stderr).toBe(1);
    expect(JSON.parse(run.stdout)).toMatchObject({ verdict: "residue", residue: ["lab"] });
  });

  it("an expected appliance without a report and one whose report was changed are gaps (exit 3), never clean", async () => {
    using dir = testdirSync({ prefix: "e2e-estate-gap-" });
    const reports = join(dir.path, "reports");
    mkdirSync(reports);
    for (const name of ["prod", "staging"]) {
      copyFileSync(join(scratch.path, "reports", `${name}.json`), join(reports, `${name}.json`));
      copyFileSync(join(scratch.path, "reports", `${name}.json.sig`), join(reports, `${name}.json.sig`));
    }
    writeFileSync(
      join(reports, "staging.json"),
      readFileSync(join(reports, "staging.json"), "utf8").replace("clean", "clear"),
    );
    const run = await estateReport(estateFile(dir.path, names), reports, join(dir.path, "estate-report.json"));
    expect(run.code, run.stderr).toBe(3);
    const json = JSON.parse(run.stdout) as { verdict: string; gaps: Array<{ appliance: string }> };
    expect(json.verdict).toBe("inconclusive");
    expect(json.gaps.map((gap) => gap.appliance)).toEqual(["staging", "dr"]);
  });

  it("bad input exits 2 and writes nothing: no --out, an estate file that is not JSON, a reports dir that is absent", async () => {
    using dir = testdirSync({ prefix: "e2e-estate-usage-", files: { "bad.json": "{ not json" } });
    const out = join(dir.path, "estate-report.json");
    const good = estateFile(dir.path, names);
    const runs = [
      await connectOps(["estate", "report", "--estate", good, "--reports", join(scratch.path, "reports")]),
      await estateReport(join(dir.path, "bad.json"), join(scratch.path, "reports"), out),
      await estateReport(good, join(dir.path, "absent"), out),
    ];
    expect(runs.map((run) => run.code)).toEqual([2, 2, 2]);
    expect(runs[1]?.stdout).toContain("is not valid JSON");
    expect(existsSync(out)).toBe(false);
  });
});
